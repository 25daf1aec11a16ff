/**
 * An order's amount in minor units of the base currency, net of refunds, as a bigint SQL expression:
 * floor(base amount x unrefunded share). Refunds are stored in the order's own currency (refunded_minor),
 * so the unrefunded share is taken in that currency and applied to the base amount once, rounding down.
 * Orders without refunds (most of them) skip the numeric division: summing millions of them stays in bigint.
 * `alias` is the orders table's alias in the query ('' for none); `refunded` replaces the refunded amount
 * when a query counts refunds as of another time (the LTV run puts back refunds made after its asOf).
 * The one copy of this rule: tiers, referral qualification, LTV and growth analytics count with it.
 */
export function netBaseAmountSql(alias = '', refunded?: string): string {
  const column = (name: string) => (alias ? `${alias}.${name}` : name);
  const refundedMinor = refunded ? `(${refunded})` : column('refunded_minor');
  return `(case when ${refundedMinor} = 0 then ${column('base_amount_minor')}
           else div(${column('base_amount_minor')}::numeric * (${column('amount_minor')} - ${refundedMinor}), ${column('amount_minor')})::bigint end)`;
}
