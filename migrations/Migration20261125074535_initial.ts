import { Migration } from '@mikro-orm/migrations';

export class Migration20261125074535_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "audit_log" ("id" bigserial primary key, "actor" text not null, "role" text not null, "action" text not null, "member_id" uuid null, "request_id" text null, "details" jsonb null, "at" timestamptz not null);`);
    this.addSql(`create index "audit_log_member_id_at_index" on "audit_log" ("member_id", "at");`);

    this.addSql(`create table "members" ("id" uuid not null, "external_id" text not null, "email" text not null, "country" text not null, "locale" text not null, "birthday" text null, "status" text check ("status" in ('ACTIVE', 'SUSPENDED', 'ERASED')) not null default 'ACTIVE', "acquisition_channel" text null, "acquisition_cost_minor" bigint null, "acquisition_cost_currency" text null, "joined_at" timestamptz not null, "created_at" timestamptz not null, "enrollment_hash" text not null, constraint "members_pkey" primary key ("id"));`);
    this.addSql(`alter table "members" add constraint "members_external_id_unique" unique ("external_id");`);
    this.addSql(`alter table "members" add constraint "members_email_unique" unique ("email");`);
    this.addSql(`create index "members_external_id_prefix_idx" on "members" ("external_id" text_pattern_ops);`);
    this.addSql(`create index "members_email_prefix_idx" on "members" ("email" text_pattern_ops);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "audit_log" cascade;`);

    this.addSql(`drop table if exists "members" cascade;`);
  }

}
