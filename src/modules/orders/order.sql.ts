/**
 * An order's amount in minor units of the base currency, net of refunds, as a bigint SQL expression:
 * floor(base amount x unrefunded share). Refunds are stored in the order's own currency (refunded_minor),
 * so the unrefunded share is taken in that currency and applied to the base amount once, rounding down.
 * Orders without refunds (most of them) skip the numeric division: summing millions of them stays in bigint.
 * `alias` is the orders table's alias in the query ('' for none). The one copy of this rule: tiers and
 * growth analytics both count spend with it.
 */
export function netBaseAmountSql(alias = ''): string {
  const column = (name: string) => (alias ? `${alias}.${name}` : name);
  return `(case when ${column('refunded_minor')} = 0 then ${column('base_amount_minor')}
           else div(${column('base_amount_minor')}::numeric * (${column('amount_minor')} - ${column('refunded_minor')}), ${column('amount_minor')})::bigint end)`;
}
