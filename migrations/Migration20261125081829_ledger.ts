import { Migration } from '@mikro-orm/migrations';

export class Migration20261125081829_ledger extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "earning_rules" ("id" uuid not null, "code" text not null, "name" text not null, "currency" text not null, "markets" text[] null, "starts_at" timestamptz null, "ends_at" timestamptz null, "min_order_base_minor" bigint null, "first_order_only" boolean not null default false, "multiplier" text null, "bonus_points" int null, "active" boolean not null default true, "created_at" timestamptz not null, constraint "earning_rules_pkey" primary key ("id"));`);
    this.addSql(`alter table "earning_rules" add constraint "earning_rules_code_unique" unique ("code");`);

    this.addSql(`create table "exchange_rates" ("id" bigserial primary key, "currency" text not null, "rate" numeric(24,12) not null, "effective_at" timestamptz not null, "created_by" text null, "created_at" timestamptz not null);`);
    this.addSql(`create index "exchange_rates_lookup_idx" on "exchange_rates" ("currency", "effective_at");`);
    this.addSql(`alter table "exchange_rates" add constraint "exchange_rates_currency_effective_at_unique" unique ("currency", "effective_at");`);

    this.addSql(`create table "orders" ("id" uuid not null, "member_id" uuid not null, "external_id" text not null, "amount_minor" bigint not null, "currency" text not null, "base_amount_minor" bigint not null, "base_currency" text not null, "fx_rate" text not null, "placed_at" timestamptz not null, "refunded_minor" bigint not null default 0, "status" text check ("status" in ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')) not null default 'PAID', "points_earned" int not null default 0, "details" jsonb null, "request_hash" text not null, "created_at" timestamptz not null, constraint "orders_pkey" primary key ("id"));`);
    this.addSql(`alter table "orders" add constraint "orders_external_id_unique" unique ("external_id");`);
    this.addSql(`create index "orders_member_id_placed_at_index" on "orders" ("member_id", "placed_at");`);

    this.addSql(`create table "order_refunds" ("id" bigserial primary key, "order_id" uuid not null, "member_id" uuid not null, "refund_id" text not null, "amount_minor" bigint not null, "request_hash" text not null, "created_at" timestamptz not null);`);
    this.addSql(`alter table "order_refunds" add constraint "order_refunds_refund_id_unique" unique ("refund_id");`);
    this.addSql(`create index "order_refunds_order_id_index" on "order_refunds" ("order_id");`);

    this.addSql(`create table "points_accounts" ("id" bigserial primary key, "currency" text not null, "member_id" uuid null, "system_code" text null, "posted" bigint not null default 0, "pending" bigint not null default 0, "held" bigint not null default 0, constraint points_accounts_buckets_non_negative check ("pending" >= 0 and "held" >= 0), constraint points_accounts_one_owner check (("member_id" is null) <> ("system_code" is null)));`);
    this.addSql(`alter table "points_accounts" add constraint "points_accounts_system_code_currency_unique" unique ("system_code", "currency");`);
    this.addSql(`alter table "points_accounts" add constraint "points_accounts_member_id_currency_unique" unique ("member_id", "currency");`);

    this.addSql(`create table "points_currencies" ("code" text not null, "name" text not null, "value_in_base" numeric(24,12) not null, "expiry_months" int not null, "earns_on_orders" boolean not null, "earn_rate" numeric(24,12) not null, "created_at" timestamptz not null, constraint "points_currencies_pkey" primary key ("code"));`);

    this.addSql(`create table "points_holds" ("id" uuid not null, "member_id" uuid not null, "account_id" bigint not null, "currency" text not null, "points" bigint not null, "order_ref" text not null, "status" text check ("status" in ('HELD', 'CAPTURED', 'RELEASED', 'EXPIRED')) not null default 'HELD', "expires_at" timestamptz not null, "idempotency_key" text not null, "request_hash" text not null, "transfer_id" bigint null, "resolved_at" timestamptz null, "created_at" timestamptz not null, constraint "points_holds_pkey" primary key ("id"), constraint points_holds_points_positive check ("points" > 0));`);
    this.addSql(`alter table "points_holds" add constraint "points_holds_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "points_holds_account_id_status_index" on "points_holds" ("account_id", "status");`);
    this.addSql(`create index "points_holds_due_idx" on "points_holds" ("expires_at") where "status" = 'HELD';`);

    this.addSql(`create table "points_lots" ("id" bigserial primary key, "account_id" bigint not null, "member_id" uuid not null, "currency" text not null, "transfer_id" bigint not null, "order_id" uuid null, "amount" bigint not null, "remaining" bigint not null, "reversed" bigint not null default 0, "pending" boolean not null, "vests_at" timestamptz null, "expires_at" timestamptz not null, "created_at" timestamptz not null, constraint points_lots_remaining_in_range check ("remaining" >= 0 and "remaining" <= "amount"));`);
    this.addSql(`create index "points_lots_order_id_index" on "points_lots" ("order_id");`);
    this.addSql(`create index "points_lots_expiry_idx" on "points_lots" ("expires_at") where "remaining" > 0 and not "pending";`);
    this.addSql(`create index "points_lots_vesting_idx" on "points_lots" ("vests_at") where "pending";`);
    this.addSql(`create index "points_lots_spendable_idx" on "points_lots" ("account_id", "expires_at", "id") where "remaining" > 0;`);

    this.addSql(`create table "points_transfers" ("id" bigserial primary key, "currency" text not null, "kind" text check ("kind" in ('EARN', 'VEST', 'REDEEM', 'REVERSAL', 'EXPIRE', 'ADJUSTMENT', 'REFERRAL_BONUS', 'BONUS')) not null, "bucket" text check ("bucket" in ('POSTED', 'PENDING', 'VEST')) not null, "debit_account_id" bigint not null, "credit_account_id" bigint not null, "amount" bigint not null, "member_id" uuid not null, "idempotency_key" text null, "request_hash" text null, "order_id" uuid null, "reference" text null, "reason" text null, "details" jsonb null, "expires_at" timestamptz null, "created_at" timestamptz not null, constraint points_transfers_amount_positive check ("amount" > 0));`);
    this.addSql(`alter table "points_transfers" add constraint "points_transfers_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "points_transfers_order_id_index" on "points_transfers" ("order_id");`);
    this.addSql(`create index "points_transfers_credit_account_id_index" on "points_transfers" ("credit_account_id");`);
    this.addSql(`create index "points_transfers_debit_account_id_index" on "points_transfers" ("debit_account_id");`);
    this.addSql(`create index "points_transfers_member_id_id_index" on "points_transfers" ("member_id", "id");`);
    // Every programme has PTS: 1 PTS = 0.01 of the base currency, 1 PTS per 1.00 spent, 12 months to expiry.
    this.addSql(`insert into "points_currencies" ("code", "name", "value_in_base", "expiry_months", "earns_on_orders", "earn_rate", "created_at") values ('PTS', 'Points', 0.01, 12, true, 1, now());`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "earning_rules" cascade;`);

    this.addSql(`drop table if exists "exchange_rates" cascade;`);

    this.addSql(`drop table if exists "orders" cascade;`);

    this.addSql(`drop table if exists "order_refunds" cascade;`);

    this.addSql(`drop table if exists "points_accounts" cascade;`);

    this.addSql(`drop table if exists "points_currencies" cascade;`);

    this.addSql(`drop table if exists "points_holds" cascade;`);

    this.addSql(`drop table if exists "points_lots" cascade;`);

    this.addSql(`drop table if exists "points_transfers" cascade;`);
  }

}
