import { FrequencyRow, MonetaryRow } from './types';

/**
 * Collapses members into distinct rows with weights (the count of members, or the sum of given weights).
 * The weighted likelihood equals the member-by-member one and costs one term per distinct row.
 * Takes any iterable so callers can stream members; memory grows with the distinct rows only.
 */
export function groupFrequencyRows(members: Iterable<Omit<FrequencyRow, 'weight'> & { weight?: number }>): FrequencyRow[] {
  const groups = new Map<string, FrequencyRow>();
  for (const { frequency, recency, T, weight = 1 } of members) {
    const key = `${frequency}|${recency}|${T}`;
    const group = groups.get(key);
    if (group) group.weight += weight;
    else groups.set(key, { frequency, recency, T, weight });
  }
  return [...groups.values()];
}

/** The same for the spend model; members with frequency 0 are skipped (Gamma-Gamma uses repeat buyers only). */
export function groupMonetaryRows(members: Iterable<Omit<MonetaryRow, 'weight'> & { weight?: number }>): MonetaryRow[] {
  const groups = new Map<string, MonetaryRow>();
  for (const { frequency, monetary, weight = 1 } of members) {
    if (frequency < 1) continue;
    const key = `${frequency}|${monetary}`;
    const group = groups.get(key);
    if (group) group.weight += weight;
    else groups.set(key, { frequency, monetary, weight });
  }
  return [...groups.values()];
}
