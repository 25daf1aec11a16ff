import { Migration } from '@mikro-orm/migrations';

/**
 * recordOrder in three round trips instead of thirteen (issue 11): the member checked and its tier row locked
 * (`order_lock_member`),
 * one read of everything the earning needs (src/modules/orders/order.sql.ts), then `order_record`, which inserts the
 * order with what it earned and posts each points currency's EARN through the ledger's own functions
 * (`ledger_lock_account`, `ledger_post`), so the ledger's command shape stays written once.
 * What an order earns is worked out in TypeScript between the read and the write (src/modules/orders/earning.ts and
 * the tier policy): the rules keep one home each.
 */
export class Migration20261204060000_order_commands extends Migration {
  override async up(): Promise<void> {
    // Checks the member may record an order (it exists and is not erased; a member token only for itself: see
    // ledger_member_or_fail), locks its member_tiers row, creating it at the lowest tier first when the member has
    // none, and returns the member's market with its tier standing.
    // Lock order: the tier row before any points account (orders, the tier review and the jobs all keep it).
    this.addSql(`
create or replace function order_lock_member(p_member uuid, p_only_external text, p_now timestamptz,
  out country text, out tier_code text, out retain_until timestamptz)
language plpgsql as $$
begin
  perform ledger_member_or_fail(p_member, p_only_external);
  select m.country into country from members m where m.id = p_member;
  select mt.tier_code, mt.retain_until into tier_code, retain_until from member_tiers mt where mt.member_id = p_member for update;
  if not found then
    insert into member_tiers (member_id, tier_code, reached_at, retain_until)
    select p_member, t.code, p_now, null from tiers t order by t.rank limit 1
    on conflict (member_id) do nothing;
    select mt.tier_code, mt.retain_until into tier_code, retain_until from member_tiers mt where mt.member_id = p_member for update;
  end if;
end $$;`);

    // Inserts the order (nothing when its externalId exists: a replay, or a concurrent request that won) with what it
    // earned, then posts every earning points currency's EARN (sorted by currency: the lock order) with its lot.
    // p_earns: [{ "currency", "points", "expiresAt", "details" }]. Returns the order, or no row on a replay.
    this.addSql(`
create or replace function order_record(
  p_order uuid, p_member uuid, p_external_id text, p_amount_minor bigint, p_currency text, p_base_minor bigint,
  p_base_currency text, p_fx_rate text, p_placed_at timestamptz, p_hash text, p_points_earned bigint, p_details jsonb,
  p_earns jsonb, p_vests_at timestamptz, p_now timestamptz
) returns setof orders language plpgsql as $$
declare
  v_order orders;
  v_earn jsonb;
  v_account bigint;
  v_expires_at timestamptz;
begin
  insert into orders (id, member_id, external_id, amount_minor, currency, base_amount_minor, base_currency, fx_rate, placed_at,
                      refunded_minor, status, points_earned, details, request_hash, created_at)
  values (p_order, p_member, p_external_id, p_amount_minor, p_currency, p_base_minor, p_base_currency, p_fx_rate, p_placed_at,
          0, 'PAID', p_points_earned, p_details, p_hash, now())
  on conflict (external_id) do nothing
  returning * into v_order;
  if v_order.id is null then return; end if;
  for v_earn in select value from jsonb_array_elements(p_earns) order by value->>'currency' loop
    select id into v_account from ledger_lock_account(p_member, v_earn->>'currency', p_now);
    v_expires_at := (v_earn->>'expiresAt')::timestamptz;
    perform ledger_post(v_account, 'CREDIT', case when p_vests_at is null then 'POSTED' else 'PENDING' end, 'EARN',
                        (v_earn->>'points')::bigint, 'ISSUANCE', 'order:' || p_external_id, null, v_earn->'details', v_order.id,
                        null, null, v_expires_at, v_expires_at, p_vests_at, true);
  end loop;
  return next v_order;
end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists order_record(uuid, uuid, text, bigint, text, bigint, text, text, timestamptz, text, bigint, jsonb, jsonb, timestamptz, timestamptz)');
    this.addSql('drop function if exists order_lock_member(uuid, text, timestamptz)');
  }
}
