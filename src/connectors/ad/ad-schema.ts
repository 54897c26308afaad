/**
 * AD attaches auxiliary classes to some structural classes itself (classSchema's systemAuxiliaryClass):
 * a user is a securityPrincipal (sAMAccountName, objectSid) and a mailRecipient. The subschema entry's
 * class definitions leave them out, so what a user can have is read with them.
 */
const SYSTEM_AUXILIARY_CLASSES: Record<string, readonly string[]> = {
  user: ['securityPrincipal', 'mailRecipient'],
  group: ['securityPrincipal', 'mailRecipient'],
};

export function withSystemAuxiliaryClasses(classes: readonly string[]): string[] {
  const out = [...classes];
  for (const c of classes) {
    for (const aux of SYSTEM_AUXILIARY_CLASSES[c.toLowerCase()] ?? []) if (!out.some((o) => o.toLowerCase() === aux.toLowerCase())) out.push(aux);
  }
  return out;
}
