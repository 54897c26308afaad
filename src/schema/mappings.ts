/**
 * Expressions and mappings: how values flow between users and resource attributes, with their strength.
 * Built on first use (`z.lazy`): every workflow loads this module under its input schemas.
 */
import { z } from 'zod';
import { oneOrMany } from './config-basics';


export const expressionSchema = z.lazy(() =>
  z
    .object({
      path: z.string().min(1).optional(),
      value: z.unknown().optional(),
      script: z
        .object({
          code: z.string().min(1),
          language: z.string().optional(),
          /** Run the script when a source has no value, with that source null (midPoint's default); without it the script gives no value. */
          includeNullInputs: z.boolean().optional(),
        })
        .strict()
        .optional(),
    })
    .strict()
    .refine((e) => [e.path !== undefined, 'value' in e, e.script !== undefined].filter(Boolean).length === 1, {
      message: 'an expression needs exactly one of path, value or script',
    }),
);
export type Expression = z.infer<typeof expressionSchema>;

export const strengthSchema = z.enum(['weak', 'normal', 'strong']);
export type Strength = z.infer<typeof strengthSchema>;

export const sourceSchema = z.lazy(() => z.object({ path: z.string().min(1), name: z.string().optional() }).strict());
export const targetSchema = z.lazy(() => z.object({ path: z.string().min(1) }).strict());

/** What every mapping has: sources, an expression, a strength and an optional condition. */
const mappingFields = () => ({
  name: z.string().optional(),
  strength: strengthSchema.default('normal'),
  source: oneOrMany(sourceSchema).default([]),
  expression: expressionSchema.optional(),
  condition: expressionSchema.optional(),
});

/** Outbound: user (focus) properties -> a resource attribute. */
export const outboundMappingSchema = z.lazy(() => z.object(mappingFields()).strict());
export type OutboundMapping = z.infer<typeof outboundMappingSchema>;

/** Inbound: a resource attribute -> a user property. The attribute itself is the implicit source. */
export const inboundMappingSchema = z.lazy(() => z.object({ ...mappingFields(), target: targetSchema }).strict());
export type InboundMapping = z.infer<typeof inboundMappingSchema>;

/** Template (and role) mappings: user properties -> a user property. */
export const templateMappingSchema = z.lazy(() => z.object({ ...mappingFields(), target: targetSchema }).strict());
export type TemplateMapping = z.infer<typeof templateMappingSchema>;

