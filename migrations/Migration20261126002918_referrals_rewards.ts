import { Migration } from '@mikro-orm/migrations';

export class Migration20261126002918_referrals_rewards extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "member_sightings" ("member_id" uuid not null, "kind" text not null, "value" text not null, "seen_at" timestamptz not null, constraint "member_sightings_pkey" primary key ("member_id", "kind", "value"));`);
    this.addSql(`create index "member_sightings_kind_value_index" on "member_sightings" ("kind", "value");`);

    this.addSql(`create table "rate_limits" ("key" varchar(255) not null, "points" int not null default 0, "expire" bigint null, constraint "rate_limits_pkey" primary key ("key"));`);

    this.addSql(`create table "referrals" ("id" uuid not null, "member_id" uuid not null, "referrer_id" uuid not null, "code" text not null, "status" text check ("status" in ('PENDING', 'QUALIFIED', 'REJECTED')) not null default 'PENDING', "rejection_reason" text null, "qualifying_order_id" uuid null, "created_at" timestamptz not null, "qualified_at" timestamptz null, "rejected_at" timestamptz null, constraint "referrals_pkey" primary key ("id"));`);
    this.addSql(`alter table "referrals" add constraint "referrals_member_id_unique" unique ("member_id");`);
    this.addSql(`create index "referrals_status_index" on "referrals" ("status");`);
    this.addSql(`create index "referrals_referrer_id_created_at_index" on "referrals" ("referrer_id", "created_at");`);

    this.addSql(`create table "rewards" ("id" uuid not null, "code" text not null, "name" text not null, "names" jsonb not null default '{}', "kind" text check ("kind" in ('FIXED_DISCOUNT', 'PERCENT_DISCOUNT', 'FREE_SHIPPING', 'PRODUCT')) not null default 'PRODUCT', "amounts" jsonb null, "percent_off" int null, "currency" text not null, "cost" int not null, "stock_total" int null, "stock_remaining" int null, "per_member_limit" int null, "min_tier_code" text null, "starts_at" timestamptz null, "ends_at" timestamptz null, "markets" text[] not null default '{}', "voucher_valid_days" int not null default 90, "retired_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "rewards_pkey" primary key ("id"), constraint rewards_cost_positive check ("cost" > 0), constraint rewards_stock_remaining_not_negative check ("stock_remaining" >= 0));`);
    this.addSql(`alter table "rewards" add constraint "rewards_code_unique" unique ("code");`);

    this.addSql(`create table "reward_redemptions" ("id" uuid not null, "member_id" uuid not null, "reward_id" uuid not null, "voucher_code" text not null, "currency" text not null, "points" int not null, "transfer_id" bigint not null, "idempotency_key" text not null, "request_hash" text not null, "expires_at" timestamptz not null, "consumed_at" timestamptz null, "consumed_order_ref" text null, "created_at" timestamptz not null, constraint "reward_redemptions_pkey" primary key ("id"));`);
    this.addSql(`alter table "reward_redemptions" add constraint "reward_redemptions_voucher_code_unique" unique ("voucher_code");`);
    this.addSql(`alter table "reward_redemptions" add constraint "reward_redemptions_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "reward_redemptions_member_id_reward_id_index" on "reward_redemptions" ("member_id", "reward_id");`);

    // Existing members get a random code like newReferralCode()'s (8 characters of the unambiguous alphabet);
    // the subquery refers to the row so that it runs once per member. A collision fails the unique constraint
    // below and the migration (31^8 codes make that negligible); run it again.
    this.addSql(`alter table "members" add column "referral_code" text null;`);
    this.addSql(`update "members" m set "referral_code" = (
      select string_agg(substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', 1 + floor(random() * 31)::int, 1), '')
      from generate_series(1, 8 + 0 * length(m."id"::text)));`);
    this.addSql(`alter table "members" alter column "referral_code" set not null;`);
    this.addSql(`alter table "members" add constraint "members_referral_code_unique" unique ("referral_code");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "member_sightings" cascade;`);

    this.addSql(`drop table if exists "rate_limits" cascade;`);

    this.addSql(`drop table if exists "referrals" cascade;`);

    this.addSql(`drop table if exists "rewards" cascade;`);

    this.addSql(`drop table if exists "reward_redemptions" cascade;`);

    this.addSql(`alter table "members" drop constraint "members_referral_code_unique";`);
    this.addSql(`alter table "members" drop column "referral_code";`);
  }

}
