import { Migration } from '@mikro-orm/migrations';

export class Migration20261126002518_card_fingerprints extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "member_card_fingerprints" ("member_id" uuid not null, "fingerprint" text not null, "first_seen_at" timestamptz not null, constraint "member_card_fingerprints_pkey" primary key ("member_id", "fingerprint"));`);
    this.addSql(`create index "member_card_fingerprints_fingerprint_index" on "member_card_fingerprints" ("fingerprint");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "member_card_fingerprints" cascade;`);
  }

}
