/**
 * The member-status read: the member row and every status part a request asks for (tier standing and ladder,
 * qualifying spend, balances with expiring points, perks, LTV profile), for any number of members, in ONE statement.
 * The text depends only on the parts and the key, so each variant is a named statement prepared once per connection.
 * Read-only, no locks: a status read never waits for points moving (checkout re-checks under the account lock).
 */
import { namedStatement, NamedStatement } from '../../db/sql';
import { netBaseAmountSql } from '../orders/order.sql';
import { heldTierCodeSql } from '../tiers/tier.sql';

/** What a request may ask of a member beyond its own row. */
export type StatusPart = 'tier' | 'spend' | 'balances' | 'perks' | 'ltv';
export const STATUS_PARTS: readonly StatusPart[] = ['tier', 'spend', 'balances', 'perks', 'ltv'];

/** How members are looked up. */
export type MemberKey = 'id' | 'external_id' | 'email';

/** The values a statement's placeholders take, in order. */
export interface StatusParameters {
  keys: string[];
  now: Date;
  /** Lots expiring up to this time count as expiring soon. */
  expiringBy: Date;
  /** Start (exclusive) of the qualifying-spend window. */
  spendFrom: Date;
}

/** Each part's select-list expression and the parameters it takes, in text order. */
const PART_SQL: Record<StatusPart, { sql: string; parameters: (values: StatusParameters) => unknown[] }> = {
  tier: {
    sql: `(select json_build_object('tierCode', mt.tier_code, 'retainUntil', mt.retain_until) from member_tiers mt where mt.member_id = m.id) as standing,
          (select json_agg(json_build_object('code', t.code, 'name', t.name, 'names', t.names, 'rank', t.rank,
                                             'thresholdMinor', t.threshold_minor::text, 'earnMultiplier', t.earn_multiplier::text) order by t.rank)
           from tiers t) as ladder`,
    parameters: () => [],
  },
  spend: {
    sql: `(select coalesce(sum(${netBaseAmountSql('o')}), 0)::text from orders o where o.member_id = m.id and o.placed_at > ? and o.placed_at <= ?) as spend`,
    parameters: (values) => [values.spendFrom, values.now],
  },
  balances: {
    // Held leaves out HELD holds past their expiry: they never count, even before a lock or the job expires them.
    sql: `(select json_agg(json_build_object('currency', a.currency, 'posted', a.posted::text, 'pending', a.pending::text,
                                             'held', (a.held - coalesce(stale.points, 0))::text,
                                             'expiringSoon', coalesce(lots.expiring_soon, 0)::text, 'nextExpiry', lots.next_expiry) order by a.currency)
           from points_accounts a
           left join lateral (select sum(h.points) as points from points_holds h where h.account_id = a.id and h.status = 'HELD' and h.expires_at <= ?) stale on true
           left join lateral (select sum(l.remaining) filter (where l.expires_at <= ?) as expiring_soon, min(l.expires_at) as next_expiry
                              from points_lots l where l.account_id = a.id and l.remaining > 0 and not l.pending) lots on true
           where a.member_id = m.id) as balances`,
    parameters: (values) => [values.now, values.expiringBy],
  },
  perks: {
    // Tier perks (the lowest tier's when none is stored), then LTV perks, each by perk code.
    sql: `(select json_agg(json_build_object('code', p.code, 'name', p.name, 'names', p.names, 'source', g.source_kind || ':' || g.source_code,
                                             'supportPriority', p.support_priority) order by g.source_kind desc, g.source_code, p.code)
           from perk_grants g join perks p on p.code = g.perk_code
           where (g.source_kind = 'TIER' and g.source_code = ${heldTierCodeSql('m.id')})
              or (g.source_kind = 'LTV' and g.source_code = (select ml.tier from member_ltv ml where ml.member_id = m.id))) as perks`,
    parameters: () => [],
  },
  ltv: {
    sql: `(select json_build_object('tier', ml.tier, 'churnRisk', ml.churn_risk, 'probabilityAlive', ml.probability_alive,
                                    'expectedPurchases12m', ml.expected_purchases_12m, 'expectedOrderValueMinor', ml.expected_order_value_minor::text,
                                    'predicted12mMinor', ml.predicted_12m_minor::text, 'historicalMinor', ml.historical_minor::text,
                                    'formulaLtvMinor', ml.formula_ltv_minor::text, 'ltvToCac', ml.ltv_to_cac, 'orderCount', ml.order_count,
                                    'computedAt', ml.computed_at)
           from member_ltv ml where ml.member_id = m.id) as ltv`,
    parameters: () => [],
  },
};

const statements = new Map<string, NamedStatement>();

/** The one statement for these parts and key: the member rows whose key is in the array, with the parts as JSON columns. */
export function memberStatusStatement(parts: ReadonlySet<StatusPart>, key: MemberKey): NamedStatement {
  const selected = STATUS_PARTS.filter((part) => parts.has(part));
  // Short names (PostgreSQL cuts identifiers at 63 bytes): the key and a bit per part.
  const mask = STATUS_PARTS.reduce((bits, part, index) => (parts.has(part) ? bits | (1 << index) : bits), 0);
  const name = `member_status_${key === 'external_id' ? 'ext' : key}_${mask}`;
  let statement = statements.get(name);
  if (!statement) {
    const columns = ['m.*', ...selected.map((part) => PART_SQL[part].sql)].join(',\n       ');
    // The keys arrive as one JSON array (a query builder would spread a JS array into one placeholder per key).
    const keys = `array(select json_array_elements_text(?::json))${key === 'id' ? '::uuid[]' : ''}`;
    statement = namedStatement(name, `select ${columns}\nfrom members m where m.${key} = any(${keys})`);
    statements.set(name, statement);
  }
  return statement;
}

/** The statement's parameter values, in placeholder order. */
export function memberStatusParameters(parts: ReadonlySet<StatusPart>, values: StatusParameters): unknown[] {
  return [...STATUS_PARTS.filter((part) => parts.has(part)).flatMap((part) => PART_SQL[part].parameters(values)), JSON.stringify(values.keys)];
}
