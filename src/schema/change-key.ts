import type { ProcessChangeInput } from './workflow-inputs';

/** The resource object a change is about, as used in `change:<resource>:<key>` workflow ids. */
export function changeObjectKey(change: ProcessChangeInput): string {
  return change.primaryIdentifier ?? change.currentObject?.primaryIdentifier ?? change.secondaryIdentifier ?? change.currentObject?.secondaryIdentifier ?? 'unknown';
}
