import { Migration } from '@mikro-orm/migrations';

/**
 * The ledger's commands as PL/pgSQL functions, so that each one is a single round trip (the pgledger approach).
 *
 * One command shape, written once: member check, sorted lock (`ledger_lock_account`, which also expires the account's
 * due holds, so an expired hold never counts as held anywhere), replay check under the lock, re-check of what can be
 * spent, effect (transfer and lot written together by `ledger_post`), audit row, all in the caller's transaction.
 * A unique violation on an idempotency key (the same key raced on another account) means replay: the caller reads the
 * winner. Expected failures are raised with SQLSTATEs of class "PG" that src/modules/ledger/ledger-errors.ts maps to
 * domain errors (DETAIL and HINT carry their values):
 *   PGNFD  not found (detail: what)              PGFBD  a member acting on another member
 *   PGCUR  unknown points currency               PGIDC  idempotency key reused with other input (detail: the key)
 *   PGINS  insufficient points (detail: available, hint: needed)
 *   PGHNA  hold not active (detail: its status)  PGLIM  support adjustment limit (detail: text for the client)
 * Every function is VOLATILE, so under READ COMMITTED each statement in it sees what committed before it started
 * (the re-select after an insert that lost a race finds the winner's row).
 */
export class Migration20261204050000_ledger_commands extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create or replace function ledger_system_account(p_code text, p_currency text) returns bigint language plpgsql as $$
declare v_id bigint;
begin
  select id into v_id from points_accounts where system_code = p_code and currency = p_currency;
  if v_id is null then
    insert into points_accounts (currency, system_code) values (p_currency, p_code) on conflict (system_code, currency) do nothing;
    select id into v_id from points_accounts where system_code = p_code and currency = p_currency;
  end if;
  return v_id;
end $$;`);

    // Marks the account's due holds EXPIRED and takes their points out of held. Call with the account row locked.
    this.addSql(`
create or replace function ledger_expire_due_holds(p_account bigint, p_now timestamptz) returns integer language plpgsql as $$
declare v_points bigint; v_count integer;
begin
  with expired as (
    update points_holds set status = 'EXPIRED', resolved_at = p_now
    where account_id = p_account and status = 'HELD' and expires_at <= p_now returning points
  ) select coalesce(sum(points), 0), count(*) into v_points, v_count from expired;
  if v_points > 0 then update points_accounts set held = held - v_points where id = p_account; end if;
  return v_count;
end $$;`);

    this.addSql(`
create or replace function ledger_lock_account(p_member uuid, p_currency text, p_now timestamptz,
  out id bigint, out member_id uuid, out currency text, out posted bigint, out pending bigint, out held bigint, out expired_holds integer)
language plpgsql as $$
begin
  select a.id into id from points_accounts a where a.member_id = p_member and a.currency = p_currency for update;
  if id is null then
    insert into points_accounts (currency, member_id) values (p_currency, p_member) on conflict on constraint points_accounts_member_id_currency_unique do nothing;
    select a.id into id from points_accounts a where a.member_id = p_member and a.currency = p_currency for update;
  end if;
  expired_holds := ledger_expire_due_holds(id, p_now);
  select a.member_id, a.currency, a.posted, a.pending, a.held into member_id, currency, posted, pending, held from points_accounts a where a.id = ledger_lock_account.id;
end $$;`);

    this.addSql(`
create or replace function ledger_lock_account_by_id(p_account bigint, p_now timestamptz,
  out id bigint, out member_id uuid, out currency text, out posted bigint, out pending bigint, out held bigint, out expired_holds integer)
language plpgsql as $$
begin
  select a.id into id from points_accounts a where a.id = p_account and a.member_id is not null for update;
  if id is null then raise exception using errcode = 'PGNFD', message = 'ledger command refused', detail = 'account'; end if;
  expired_holds := ledger_expire_due_holds(id, p_now);
  select a.member_id, a.currency, a.posted, a.pending, a.held into member_id, currency, posted, pending, held from points_accounts a where a.id = ledger_lock_account_by_id.id;
end $$;`);

    // One transfer and the member account's balance change; with p_lot_expires_at, the lot its credit creates
    // (vested lots start net of any clawback debt: the account's vested lots always hold max(posted, 0)), which
    // belongs to the transfer's order unless p_lot_of_order is false.
    this.addSql(`
create or replace function ledger_post(
  p_account bigint, p_direction text, p_bucket text, p_kind text, p_amount bigint, p_counterparty text,
  p_reference text, p_reason text, p_details jsonb, p_order uuid, p_key text, p_hash text, p_expires_at timestamptz,
  p_lot_expires_at timestamptz default null, p_lot_vests_at timestamptz default null, p_lot_of_order boolean default true
) returns points_transfers language plpgsql as $$
declare
  v_account points_accounts;
  v_system bigint;
  v_transfer points_transfers;
  v_sign bigint := case when p_direction = 'CREDIT' then 1 else -1 end;
begin
  if p_amount <= 0 then raise exception 'transfer amount must be positive, got %', p_amount; end if;
  select * into v_account from points_accounts where id = p_account;
  v_system := ledger_system_account(p_counterparty, v_account.currency);
  insert into points_transfers (currency, kind, bucket, debit_account_id, credit_account_id, amount, member_id, idempotency_key,
                                request_hash, order_id, reference, reason, details, expires_at, created_at)
  values (v_account.currency, p_kind, p_bucket,
          case when p_bucket = 'VEST' then p_account when p_direction = 'CREDIT' then v_system else p_account end,
          case when p_bucket = 'VEST' then p_account when p_direction = 'CREDIT' then p_account else v_system end,
          p_amount, v_account.member_id, p_key, p_hash, p_order, p_reference, p_reason, p_details, p_expires_at, now())
  returning * into v_transfer;
  if p_bucket = 'VEST' then
    update points_accounts set pending = pending - p_amount, posted = posted + p_amount where id = p_account returning * into v_account;
  elsif p_bucket = 'PENDING' then
    update points_accounts set pending = pending + v_sign * p_amount where id = p_account returning * into v_account;
  else
    update points_accounts set posted = posted + v_sign * p_amount where id = p_account returning * into v_account;
  end if;
  if p_lot_expires_at is not null then
    insert into points_lots (account_id, member_id, currency, transfer_id, order_id, amount, remaining, reversed, pending, vests_at, expires_at, created_at)
    values (p_account, v_account.member_id, v_account.currency, v_transfer.id, case when p_lot_of_order then p_order end, p_amount,
            case when p_bucket = 'PENDING' then p_amount else least(p_amount, greatest(v_account.posted, 0)) end,
            0, p_bucket = 'PENDING', p_lot_vests_at, p_lot_expires_at, now());
  end if;
  return v_transfer;
end $$;`);

    // Draws up to p_amount from the account's vested lots, soonest expiry first (only one lot, or only lots expired
    // by a time, when asked). Returns what it drew: less only when the lots hold less (a balance in clawback debt).
    this.addSql(`
create or replace function ledger_draw_from_lots(p_account bigint, p_amount bigint, p_lot bigint default null, p_expired_by timestamptz default null)
returns bigint language plpgsql as $$
declare v_taken bigint;
begin
  if p_amount <= 0 then return 0; end if;
  with ordered as (
    select l.id, l.remaining, sum(l.remaining) over (order by l.expires_at, l.id) - l.remaining as before
    from points_lots l
    where l.account_id = p_account and l.remaining > 0 and not l.pending
      and (p_lot is null or l.id = p_lot) and (p_expired_by is null or l.expires_at <= p_expired_by)
  ), drawn as (
    select o.id, least(o.remaining, p_amount - o.before) as taken from ordered o where o.before < p_amount
  ), updated as (
    update points_lots l set remaining = l.remaining - drawn.taken from drawn where l.id = drawn.id returning drawn.taken
  ) select coalesce(sum(taken), 0) into v_taken from updated;
  return v_taken;
end $$;`);

    // The member an operation acts on: NOT_FOUND when unknown or erased; a member token (p_only_external) may act only on itself,
    // FORBIDDEN otherwise whether or not the other member exists.
    this.addSql(`
create or replace function ledger_member_or_fail(p_member uuid, p_only_external text) returns void language plpgsql as $$
declare v_external text;
begin
  -- An erased member is gone for every operation.
  select external_id into v_external from members where id = p_member and status <> 'ERASED';
  if p_only_external is not null and v_external is distinct from p_only_external then
    raise exception using errcode = 'PGFBD', message = 'ledger command refused', detail = 'member';
  end if;
  if v_external is null then raise exception using errcode = 'PGNFD', message = 'ledger command refused', detail = 'member'; end if;
end $$;`);

    this.addSql(`
create or replace function ledger_currency_or_fail(p_currency text) returns void language plpgsql as $$
begin
  if not exists (select 1 from points_currencies where code = p_currency) then
    raise exception using errcode = 'PGCUR', message = 'ledger command refused', detail = p_currency;
  end if;
end $$;`);

    // holdPoints: reserve points for a checkout, idempotently on p_key.
    this.addSql(`
create or replace function ledger_hold(
  p_hold uuid, p_member uuid, p_only_external text, p_currency text, p_points bigint, p_order_ref text,
  p_expires_at timestamptz, p_key text, p_hash text, p_now timestamptz
) returns setof points_holds language plpgsql as $$
declare
  v_account record;
  v_earlier points_holds;
begin
  perform ledger_member_or_fail(p_member, p_only_external);
  perform ledger_currency_or_fail(p_currency);
  select * into v_account from ledger_lock_account(p_member, p_currency, p_now);
  -- A replay, answered under the lock: one that raced the first request sees its committed hold.
  select * into v_earlier from points_holds where idempotency_key = p_key;
  if found then
    if v_earlier.request_hash <> p_hash then raise exception using errcode = 'PGIDC', message = 'ledger command refused', detail = p_key; end if;
    return next v_earlier;
    return;
  end if;
  if v_account.posted - v_account.held < p_points then
    raise exception using errcode = 'PGINS', message = 'ledger command refused', detail = (v_account.posted - v_account.held)::text, hint = p_points::text;
  end if;
  update points_accounts set held = held + p_points where id = v_account.id;
  insert into points_holds (id, member_id, account_id, currency, points, order_ref, status, expires_at, idempotency_key, request_hash, created_at)
  values (p_hold, p_member, v_account.id, p_currency, p_points, p_order_ref, 'HELD', p_expires_at, p_key, p_hash, p_now)
  returning * into v_earlier;
  return next v_earlier;
end $$;`);

    // capturePoints / releasePoints. Capturing a captured hold returns it unchanged; any other state is HOLD_NOT_ACTIVE.
    this.addSql(`
create or replace function ledger_resolve_hold(p_hold uuid, p_outcome text, p_only_external text, p_now timestamptz)
returns setof points_holds language plpgsql as $$
declare
  v_hold points_holds;
  v_account record;
  v_transfer points_transfers;
begin
  select * into v_hold from points_holds where id = p_hold;
  if not found then raise exception using errcode = 'PGNFD', message = 'ledger command refused', detail = 'hold'; end if;
  perform ledger_member_or_fail(v_hold.member_id, p_only_external);
  -- Lock the account first (the order every path follows), then read the hold again: it cannot change under us.
  select * into v_account from ledger_lock_account_by_id(v_hold.account_id, p_now);
  select * into v_hold from points_holds where id = p_hold;
  if p_outcome = 'CAPTURED' and v_hold.status = 'CAPTURED' then return next v_hold; return; end if;
  if v_hold.status <> 'HELD' then raise exception using errcode = 'PGHNA', message = 'ledger command refused', detail = v_hold.status; end if;
  update points_accounts set held = held - v_hold.points where id = v_account.id;
  if p_outcome = 'CAPTURED' then
    v_transfer := ledger_post(v_account.id, 'DEBIT', 'POSTED', 'REDEEM', v_hold.points, 'REDEMPTION',
                              'hold:' || p_hold, 'checkout ' || v_hold.order_ref, null, null, null, null, null);
    perform ledger_draw_from_lots(v_account.id, v_hold.points);
  end if;
  update points_holds set status = p_outcome, transfer_id = v_transfer.id, resolved_at = p_now where id = p_hold returning * into v_hold;
  return next v_hold;
end $$;`);

    // adjustPoints: points granted (a vested lot expiring after the currency's expiry months, UTC calendar months
    // clamped to the month's end like src/time.ts addMonths) or removed by hand, with the audit row.
    // Support callers (p_daily_limit not null) are serialised per agent so that two at once cannot both pass the limit.
    this.addSql(`
create or replace function ledger_adjust(
  p_member uuid, p_currency text, p_points bigint, p_reason text, p_key text, p_hash text,
  p_actor text, p_role text, p_request_id text, p_daily_limit bigint, p_now timestamptz
) returns setof points_transfers language plpgsql as $$
declare
  v_expiry_months integer;
  v_lot_expires_at timestamptz;
  v_account record;
  v_earlier points_transfers;
  v_used bigint;
  v_magnitude bigint := abs(p_points);
  v_transfer points_transfers;
begin
  perform ledger_member_or_fail(p_member, null);
  select expiry_months into v_expiry_months from points_currencies where code = p_currency;
  if v_expiry_months is null then raise exception using errcode = 'PGCUR', message = 'ledger command refused', detail = p_currency; end if;
  v_lot_expires_at := ((p_now at time zone 'UTC') + make_interval(months => v_expiry_months)) at time zone 'UTC';
  if p_daily_limit is not null then perform pg_advisory_xact_lock(hashtext('adjustments:' || p_actor)); end if;
  select * into v_account from ledger_lock_account(p_member, p_currency, p_now);
  select * into v_earlier from points_transfers where idempotency_key = p_key;
  if found then
    if v_earlier.kind <> 'ADJUSTMENT' or v_earlier.request_hash <> p_hash then raise exception using errcode = 'PGIDC', message = 'ledger command refused', detail = p_key; end if;
    return next v_earlier;
    return;
  end if;
  if p_daily_limit is not null then
    select coalesce(sum(amount), 0) into v_used from points_transfers
    where kind = 'ADJUSTMENT' and details->>'actor' = p_actor and created_at >= date_trunc('day', now());
    if v_used + v_magnitude > p_daily_limit then
      raise exception using errcode = 'PGLIM', message = 'ledger command refused', detail = format('support may adjust at most %s points a day; %s used today', p_daily_limit, v_used);
    end if;
  end if;
  if p_points < 0 and v_account.posted - v_account.held < v_magnitude then
    raise exception using errcode = 'PGINS', message = 'ledger command refused', detail = (v_account.posted - v_account.held)::text, hint = v_magnitude::text;
  end if;
  if p_points > 0 then
    v_transfer := ledger_post(v_account.id, 'CREDIT', 'POSTED', 'ADJUSTMENT', v_magnitude, 'ADJUSTMENT', null, p_reason,
                              jsonb_build_object('actor', p_actor, 'role', p_role), null, p_key, p_hash, v_lot_expires_at, v_lot_expires_at, null);
  else
    v_transfer := ledger_post(v_account.id, 'DEBIT', 'POSTED', 'ADJUSTMENT', v_magnitude, 'ADJUSTMENT', null, p_reason,
                              jsonb_build_object('actor', p_actor, 'role', p_role), null, p_key, p_hash, null);
    perform ledger_draw_from_lots(v_account.id, v_magnitude);
  end if;
  insert into audit_log (actor, role, action, member_id, request_id, details, at)
  values (p_actor, p_role, 'points.adjust', p_member, p_request_id,
          jsonb_build_object('currency', p_currency, 'points', p_points, 'reason', p_reason, 'idempotencyKey', p_key), p_now);
  return next v_transfer;
end $$;`);
  }

  override async down(): Promise<void> {
    for (const signature of [
      'ledger_adjust(uuid, text, bigint, text, text, text, text, text, text, bigint, timestamptz)',
      'ledger_resolve_hold(uuid, text, text, timestamptz)',
      'ledger_hold(uuid, uuid, text, text, bigint, text, timestamptz, text, text, timestamptz)',
      'ledger_currency_or_fail(text)',
      'ledger_member_or_fail(uuid, text)',
      'ledger_draw_from_lots(bigint, bigint, bigint, timestamptz)',
      'ledger_post(bigint, text, text, text, bigint, text, text, text, jsonb, uuid, text, text, timestamptz, timestamptz, timestamptz, boolean)',
      'ledger_lock_account_by_id(bigint, timestamptz)',
      'ledger_lock_account(uuid, text, timestamptz)',
      'ledger_expire_due_holds(bigint, timestamptz)',
      'ledger_system_account(text, text)',
    ]) {
      this.addSql(`drop function if exists ${signature};`);
    }
  }
}
