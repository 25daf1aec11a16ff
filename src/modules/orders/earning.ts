import { Decimal, floorDiv, formatDecimal } from '../../money/decimal';

/** A campaign rule, as plain data. */
export interface CampaignRule {
  code: string;
  currency: string;
  markets: string[] | null;
  startsAt: Date | null;
  endsAt: Date | null;
  minOrderBaseMinor: bigint | null;
  firstOrderOnly: boolean;
  multiplier: Decimal | null;
  bonusPoints: number | null;
}

export interface EarningContext {
  /** The order in minor units of the base currency. */
  baseAmountMinor: bigint;
  baseDigits: number;
  /** The member's country. */
  market: string;
  placedAt: Date;
  isFirstOrder: boolean;
  /** Points per 1.00 of the base currency (PTS: 1). */
  earnRate: Decimal;
  /** The membership tier's earn multiplier (1 until tiers exist). */
  tierMultiplier: Decimal;
}

export interface AppliedRule {
  code: string;
  multiplier?: string;
  bonusPoints?: number;
}

export interface Earning {
  points: bigint;
  applied: AppliedRule[];
}

const ONE: Decimal = { units: 1n, scale: 0 };

export function ruleMatches(rule: CampaignRule, context: EarningContext): boolean {
  if (rule.markets && !rule.markets.includes(context.market)) return false;
  if (rule.startsAt && context.placedAt < rule.startsAt) return false;
  if (rule.endsAt && context.placedAt >= rule.endsAt) return false;
  if (rule.minOrderBaseMinor !== null && context.baseAmountMinor < rule.minOrderBaseMinor) return false;
  if (rule.firstOrderOnly && !context.isFirstOrder) return false;
  return true;
}

/**
 * Points an order earns in one points currency:
 *   floor(base amount x earn rate x tier multiplier x campaign multiplier) + campaign bonuses.
 * Campaign multipliers do not stack: the highest matching one applies. Fixed bonuses add up.
 */
export function evaluateEarning(context: EarningContext, rules: CampaignRule[]): Earning {
  const matching = rules.filter((rule) => ruleMatches(rule, context));
  const multiplied = matching.filter((rule) => rule.multiplier !== null);
  const best = multiplied.reduce<CampaignRule | undefined>(
    (top, rule) => (!top || compare(rule.multiplier!, top.multiplier!) > 0 ? rule : top),
    undefined,
  );
  const campaign = best?.multiplier ?? ONE;
  const factors = [context.earnRate, context.tierMultiplier, campaign];
  const numerator = factors.reduce((product, factor) => product * factor.units, context.baseAmountMinor);
  const scale = factors.reduce((sum, factor) => sum + factor.scale, context.baseDigits);
  const earned = floorDiv(numerator, 10n ** BigInt(scale));
  const bonusRules = matching.filter((rule) => rule.bonusPoints);
  const bonus = bonusRules.reduce((sum, rule) => sum + BigInt(rule.bonusPoints!), 0n);
  const applied: AppliedRule[] = [];
  if (compare(context.tierMultiplier, ONE) !== 0) applied.push({ code: 'TIER', multiplier: formatDecimal(context.tierMultiplier) });
  if (best) applied.push({ code: best.code, multiplier: formatDecimal(best.multiplier!) });
  for (const rule of bonusRules) {
    const existing = applied.find((entry) => entry.code === rule.code);
    if (existing) existing.bonusPoints = rule.bonusPoints!;
    else applied.push({ code: rule.code, bonusPoints: rule.bonusPoints! });
  }
  return { points: earned + bonus, applied };
}

function compare(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const left = a.units * 10n ** BigInt(scale - a.scale);
  const right = b.units * 10n ** BigInt(scale - b.scale);
  return left === right ? 0 : left > right ? 1 : -1;
}
