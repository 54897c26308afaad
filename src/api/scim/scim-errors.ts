/** SCIM error answers (RFC 7644 section 3.12): status, scimType and detail in the SCIM error schema. */
import type { FastifyReply } from 'fastify';
import { SCIM_SCHEMAS } from '../../schema/scim';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export type ScimType = 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

/** A request SCIM refuses: its status, and for 400 and 409 its scimType. */
export class ScimProtocolError extends Error {
  override readonly name = 'ScimProtocolError';
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export const invalid = (scimType: ScimType, detail: string) => new ScimProtocolError(400, scimType, detail);

export function scimErrorBody(status: number, detail: string, scimType?: ScimType) {
  return { schemas: [SCIM_SCHEMAS.error], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

export function answerScimError(reply: FastifyReply, status: number, detail: string, scimType?: ScimType, headers: Record<string, string> = {}) {
  return reply.code(status).headers({ ...headers, 'content-type': SCIM_CONTENT_TYPE }).send(scimErrorBody(status, detail, scimType));
}
