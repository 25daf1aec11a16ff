import { Migration } from '@mikro-orm/migrations';

export class Migration20261204034822_privacy_webhooks extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "member_erasures" ("member_id" uuid not null, "idempotency_key" text not null, "request_hash" text not null, "reason" text not null, "forfeited" jsonb not null, "stripe_customer_hash" text null, "erased_at" timestamptz not null, constraint "member_erasures_pkey" primary key ("member_id"));`);
    this.addSql(`alter table "member_erasures" add constraint "member_erasures_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "member_erasures_stripe_customer_hash_index" on "member_erasures" ("stripe_customer_hash");`);

    this.addSql(`create table "webhook_deliveries" ("sequence" bigserial primary key, "endpoint_id" uuid not null, "event_id" text not null, "event_type" text not null, "member_id" uuid null, "status" text check ("status" in ('PENDING', 'SUCCEEDED', 'FAILED')) not null default 'PENDING', "attempts" int not null default 0, "last_status_code" int null, "next_attempt_at" timestamptz null, "leased_until" timestamptz null, "created_at" timestamptz not null);`);
    this.addSql(`create index "webhook_deliveries_endpoint_id_sequence_index" on "webhook_deliveries" ("endpoint_id", "sequence");`);
    this.addSql(`create index "webhook_deliveries_endpoint_id_member_id_sequence_index" on "webhook_deliveries" ("endpoint_id", "member_id", "sequence");`);
    this.addSql(`create index "webhook_deliveries_due_idx" on "webhook_deliveries" ("next_attempt_at") where "status" = 'PENDING';`);

    this.addSql(`create table "webhook_delivery_attempts" ("id" bigserial primary key, "delivery_sequence" bigint not null, "attempt" int not null, "status_code" int null, "error" text null, "attempted_at" timestamptz not null);`);
    this.addSql(`create index "webhook_delivery_attempts_delivery_sequence_index" on "webhook_delivery_attempts" ("delivery_sequence");`);

    this.addSql(`create table "webhook_endpoints" ("id" uuid not null, "url" text not null, "event_types" text[] not null, "description" text null, "secret" text not null, "enabled" boolean not null default true, "failing_since" timestamptz null, "disabled_at" timestamptz null, "deleted_at" timestamptz null, "created_at" timestamptz not null, constraint "webhook_endpoints_pkey" primary key ("id"));`);

    this.addSql(`create table "webhook_events" ("id" text not null, "type" text not null, "member_id" uuid null, "data" jsonb not null, "created_at" timestamptz not null, constraint "webhook_events_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_events_member_id_index" on "webhook_events" ("member_id");`);

    this.addSql(`create index "audit_log_member_id_id_index" on "audit_log" ("member_id", "id");`);

    this.addSql(`create table "points_expiry_notices" ("lot_id" bigint not null, "member_id" uuid not null, "noticed_at" timestamptz not null, constraint "points_expiry_notices_pkey" primary key ("lot_id"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "audit_log_member_id_id_index";`);

    this.addSql(`drop table if exists "points_expiry_notices" cascade;`);

    this.addSql(`drop table if exists "member_erasures" cascade;`);

    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);

    this.addSql(`drop table if exists "webhook_delivery_attempts" cascade;`);

    this.addSql(`drop table if exists "webhook_endpoints" cascade;`);

    this.addSql(`drop table if exists "webhook_events" cascade;`);
  }

}
