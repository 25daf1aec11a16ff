import { Decimal, floorDiv, formatDecimal, parseDecimal } from '../../money/decimal';

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

/** A campaign rule as the order context reads it (order.sql.ts ORDER_CONTEXT: earning_rules as JSON, by id). */
export interface CampaignRuleRow {
  code: string;
  currency: string;
  markets: string[] | null;
  starts_at: string | null;
  ends_at: string | null;
  min_order_base_minor: string | null;
  first_order_only: boolean;
  multiplier: string | null;
  bonus_points: number | null;
}

/** The rule of such a row, as plain data (the history import reads its rules this way; recordOrder keeps a copy). */
export function campaignRuleOf(rule: CampaignRuleRow): CampaignRule {
  return {
    code: rule.code,
    currency: rule.currency,
    markets: rule.markets,
    startsAt: rule.starts_at === null ? null : new Date(rule.starts_at),
    endsAt: rule.ends_at === null ? null : new Date(rule.ends_at),
    minOrderBaseMinor: rule.min_order_base_minor === null ? null : BigInt(rule.min_order_base_minor),
    firstOrderOnly: rule.first_order_only,
    multiplier: rule.multiplier ? parseDecimal(rule.multiplier, 'multiplier') : null,
    bonusPoints: rule.bonus_points,
  };
}
