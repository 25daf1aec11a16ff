import { RejectionReason } from './referral.entity';

/** What the fraud rules look at, gathered from the database for one referrer and referee. */
export interface ReferralFacts {
  referrerActive: boolean;
  referrerEmail: string;
  refereeEmail: string;
  /** Referrer and referee have paid with the same card (Stripe card fingerprint). */
  sharedCard: boolean;
  /** Seen with the same device id, or the same IP, within the signal window. */
  sharedDevice: boolean;
  sharedIp: boolean;
  /** At qualification only: the referrer's referrals already QUALIFIED this calendar month, and the cap. */
  qualifiedThisMonth?: number;
  monthlyCap?: number;
}

/**
 * The first fraud rule a referral breaks, or null. Checked at enrolment (without the cap) and again, with
 * the cap, when the referral is about to qualify: cards and sightings may have been added since.
 */
export function rejectionReason(facts: ReferralFacts, canonical: (email: string) => string): RejectionReason | null {
  if (!facts.referrerActive) return RejectionReason.REFERRER_INACTIVE;
  if (canonical(facts.referrerEmail) === canonical(facts.refereeEmail)) return RejectionReason.SELF_REFERRAL;
  if (facts.sharedCard) return RejectionReason.DUPLICATE_PAYMENT_METHOD;
  if (facts.sharedDevice) return RejectionReason.DUPLICATE_DEVICE;
  if (facts.sharedIp) return RejectionReason.DUPLICATE_IP;
  if (facts.monthlyCap !== undefined && (facts.qualifiedThisMonth ?? 0) >= facts.monthlyCap) return RejectionReason.REFERRER_CAP_REACHED;
  return null;
}
