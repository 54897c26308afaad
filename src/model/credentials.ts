/**
 * Credentials outbound (midPoint's `asIs`): the account's password attribute gets the user's password as
 * it is stored, sealed (`enc:v1:...`). Only the connector call opens it, so plans, pending operations,
 * shadows and workflow histories never hold it in plaintext. A password can't be read back to compare:
 * it is written when the account is created and when the user's password changed (normal), also when
 * what changed is unknown, as in reconciliation (strong), or only on creation (weak).
 */
import { valuePolicySchema, type ObjectTypeDefinition, type ValuePolicy } from '../schema/config';
import type { AttributeDelta, Attributes, UserDoc } from '../schema/objects';
import { attributeName } from './paths';

export const PASSWORD_PATH = 'credentials/password';

const passwordChanged = (changed: ReadonlySet<string> | undefined) =>
  changed !== undefined && [...changed].some((k) => k === 'credentials' || k.startsWith('credentials/'));

export interface CredentialsOutboundInput {
  objectType: ObjectTypeDefinition;
  user: UserDoc;
  mode: 'add' | 'existing';
  changed: ReadonlySet<string> | undefined;
}

export function appendCredentialsOutbound(input: CredentialsOutboundInput, attributes: Attributes, deltas: AttributeDelta[]): void {
  const config = input.objectType.credentials?.password;
  const sealed = input.user.credentials?.password?.encrypted;
  if (!config?.outbound || sealed === undefined) return;
  const name = attributeName(config.attribute);
  if (input.mode === 'add') {
    attributes[name] = [sealed];
    return;
  }
  const strength = config.outbound.strength;
  const write = strength === 'strong' ? input.changed === undefined || passwordChanged(input.changed) : strength === 'normal' && passwordChanged(input.changed);
  if (!write) return;
  const at = deltas.findIndex((d) => d.path.toLowerCase() === name.toLowerCase());
  if (at >= 0) deltas.splice(at, 1);
  deltas.push({ path: name, replace: [sealed] });
}

/**
 * The policy a generated password must satisfy, when the object type's password inbound generates one
 * and the user has none (the inbound is weak).
 */
export function passwordToGenerate(objectType: ObjectTypeDefinition, user: Pick<UserDoc, 'credentials'> | null): ValuePolicy | undefined {
  const config = objectType.credentials?.password;
  const inbound = config?.inbound;
  if (!inbound || user?.credentials?.password !== undefined) return undefined;
  return config.valuePolicy ?? valuePolicySchema.parse({});
}
