/** Pure rules of the rewards catalog, unit-tested without a database. */

/**
 * The name to show a reader: the exact locale, else its language ("de" for "de-AT"), else another
 * locale of that language ("de-DE"), else the default name.
 */
export function localisedName(defaultName: string, names: Record<string, string>, locale: string | null | undefined): string {
  if (!locale) return defaultName;
  if (names[locale]) return names[locale];
  const language = locale.split('-')[0].toLowerCase();
  if (names[language]) return names[language];
  const sameLanguage = Object.keys(names)
    .sort()
    .find((key) => key.split('-')[0].toLowerCase() === language);
  return sameLanguage ? names[sameLanguage] : defaultName;
}

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
