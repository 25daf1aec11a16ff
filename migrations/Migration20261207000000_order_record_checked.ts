import { Migration } from '@mikro-orm/migrations';

/**
 * recordOrder in two round trips and no BEGIN/COMMIT (issue 11): the earning read runs first, without a lock
 * (src/modules/orders/order.sql.ts ORDER_READ), the earning is worked out in TypeScript, and `order_record_checked`
 * writes it as one statement: it locks the member's tier row (`order_lock_member`), and only when what the read saw
 * still holds (`order_read_token`: the tier standing, and the number of the member's orders, every order that earns
 * being inserted under that lock) does it record the order (`order_record`). Otherwise it refuses as a serialization failure
 * (SQLSTATE 40001: nothing was written, run again) and the service reads again. What the read saw is then what a read under the lock would see, so the order earns the same.
 */
export class Migration20261207000000_order_record_checked extends Migration {
  override async up(): Promise<void> {
    // What recording an order depends on that only changes under the member's tier row lock: its tier standing (the
    // lowest tier while it has no row: order_lock_member creates it so) and how many orders it has.
    this.addSql(`
create or replace function order_read_token(p_member uuid) returns text language sql stable as $$
  select coalesce((select mt.tier_code || '|' || coalesce(extract(epoch from mt.retain_until)::text, '') from member_tiers mt where mt.member_id = p_member),
                  (select t.code || '|' from tiers t order by t.rank limit 1))
         || '|' || (select count(*) from orders o where o.member_id = p_member)::text
$$;`);

    this.addSql(`
create or replace function order_record_checked(
  p_only_external text, p_seen text,
  p_order uuid, p_member uuid, p_external_id text, p_amount_minor bigint, p_currency text, p_base_minor bigint,
  p_base_currency text, p_fx_rate text, p_placed_at timestamptz, p_hash text, p_points_earned bigint, p_details jsonb,
  p_earns jsonb, p_vests_at timestamptz, p_now timestamptz
) returns setof orders language plpgsql as $$
begin
  perform order_lock_member(p_member, p_only_external, p_now);
  if order_read_token(p_member) is distinct from p_seen then
    raise exception using errcode = 'serialization_failure', message = 'the order''s earning read is stale';
  end if;
  return query select * from order_record(p_order, p_member, p_external_id, p_amount_minor, p_currency, p_base_minor,
    p_base_currency, p_fx_rate, p_placed_at, p_hash, p_points_earned, p_details, p_earns, p_vests_at, p_now);
end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(
      'drop function if exists order_record_checked(text, text, uuid, uuid, text, bigint, text, bigint, text, text, timestamptz, text, bigint, jsonb, jsonb, timestamptz, timestamptz)',
    );
    this.addSql('drop function if exists order_read_token(uuid)');
  }
}
