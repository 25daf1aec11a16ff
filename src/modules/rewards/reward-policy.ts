/** Pure rules of the rewards catalog, unit-tested without a database. */

export interface Availability {
  retiredAt: Date | null;
  startsAt: Date | null;
  endsAt: Date | null;
  markets: string[];
}

/** Why a reward cannot be redeemed in `market` at `now`, or null when it can (stock, limits and tier apart). */
export function unavailableReason(reward: Availability, market: string, now: Date): string | null {
  if (reward.retiredAt) return 'is retired';
  if (reward.startsAt && reward.startsAt > now) return 'is not available yet';
  if (reward.endsAt && reward.endsAt <= now) return 'is no longer available';
  if (reward.markets.length > 0 && !reward.markets.includes(market)) return `is not offered in ${market}`;
  return null;
}
