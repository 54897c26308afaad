/**
 * Reconciliation's memory of what agreed, kept on the shadows (`ShadowAgreement`): an account found in
 * agreement with its owner needn't be compared again while the shadow's and the owner's versions and the
 * configuration's generation are the ones it was found under and the owner's next validity boundary is
 * ahead. The comparison depends on nothing else (the account equals the shadow's cached attributes when
 * it is asked; time only through validity), and every write of the three changes one of them.
 */
import type { ShadowAgreement, ShadowOfPage } from '../../repository/repository';

export interface AgreementBasis {
  ownerVersion: number;
  generation: number;
}

export function stillAgreed(shadow: ShadowOfPage, basis: AgreementBasis, now: string): boolean {
  const agreement = shadow.agreement;
  return (
    agreement?.shadowVersion === shadow.version &&
    agreement.ownerVersion === basis.ownerVersion &&
    agreement.generation === basis.generation &&
    (agreement.until === undefined || Date.parse(now) < Date.parse(agreement.until))
  );
}

export function agreementOf(shadow: ShadowOfPage, basis: AgreementBasis, until: string | undefined): ShadowAgreement {
  return { shadowVersion: shadow.version, ownerVersion: basis.ownerVersion, generation: basis.generation, ...(until ? { until } : {}) };
}
