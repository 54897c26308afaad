/** An operator's change of a user's activation: items set, or cleared by null or an empty string. */
import type { UserPropertyChanges } from '../schema/api';
import type { UserDoc } from '../schema/objects';

export function applyActivationChanges(user: UserDoc, changes: UserPropertyChanges['activation']): UserDoc {
  if (!changes) return user;
  const activation: Record<string, unknown> = { ...(user.activation ?? {}) };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === '' || value === undefined) delete activation[key];
    else activation[key] = value;
  }
  const next = { ...user, activation: activation as UserDoc['activation'] };
  // Nothing of his own left: the computed items go too (the recomputation drops them anyway).
  if (!['administrativeStatus', 'validFrom', 'validTo'].some((k) => activation[k] !== undefined)) delete next.activation;
  return next;
}
