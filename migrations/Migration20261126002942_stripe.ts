import { Migration } from '@mikro-orm/migrations';

export class Migration20261126002942_stripe extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "points_freezes" ("id" bigserial primary key, "member_id" uuid not null, "account_id" bigint not null, "currency" text not null, "order_id" uuid not null, "reference" text not null, "points" bigint not null, "status" text check ("status" in ('FROZEN', 'RELEASED', 'REVERSED')) not null default 'FROZEN', "created_at" timestamptz not null, "resolved_at" timestamptz null, constraint points_freezes_points_not_negative check ("points" >= 0));`);
    this.addSql(`create index "points_freezes_order_id_status_index" on "points_freezes" ("order_id", "status");`);
    this.addSql(`alter table "points_freezes" add constraint "points_freezes_reference_currency_unique" unique ("reference", "currency");`);

    this.addSql(`create table "stripe_disputes" ("id" text not null, "payment_intent_id" text not null, "order_id" uuid not null, "member_id" uuid not null, "state" text check ("state" in ('OPEN', 'WON', 'LOST')) not null, "created_at" timestamptz not null, "closed_at" timestamptz null, constraint "stripe_disputes_pkey" primary key ("id"));`);

    this.addSql(`create table "stripe_events" ("id" text not null, "type" text not null, "stripe_created_at" timestamptz not null, "state" text check ("state" in ('PROCESSED', 'DEFERRED', 'NO_MEMBER', 'IGNORED')) not null, "payment_intent_id" text null, "payload" jsonb null, "received_at" timestamptz not null, "processed_at" timestamptz null, constraint "stripe_events_pkey" primary key ("id"));`);
    this.addSql(`create index "stripe_events_deferred_idx" on "stripe_events" ("payment_intent_id", "stripe_created_at", "id") where "state" = 'DEFERRED';`);

    this.addSql(`alter table "members" add column "stripe_customer_id" text null;`);
    this.addSql(`alter table "members" add constraint "members_stripe_customer_id_unique" unique ("stripe_customer_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "points_freezes" cascade;`);

    this.addSql(`drop table if exists "stripe_disputes" cascade;`);

    this.addSql(`drop table if exists "stripe_events" cascade;`);

    this.addSql(`alter table "members" drop constraint "members_stripe_customer_id_unique";`);
    this.addSql(`alter table "members" drop column "stripe_customer_id";`);
  }

}
