import { Migration } from '@mikro-orm/migrations';

/**
 * The history import's staging table (src/modules/import): the orders of one `npm run import` run, validated and
 * converted to the base currency, loaded with COPY, then applied set-based in chunks of members and deleted.
 * Unlogged: it holds nothing that a crash should keep (a re-run stages the file again and skips what was applied).
 */
export class Migration20261204090000_history_import_staging extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create unlogged table "history_import_orders" (
      "import_id" uuid not null, "line" int not null, "id" uuid not null, "external_id" text not null, "member_external_id" text not null,
      "amount_minor" bigint not null, "currency" text not null, "base_amount_minor" bigint not null, "fx_rate" text not null,
      "placed_at" timestamptz not null, "refunded_minor" bigint not null, "refund_hash" text null,
      constraint "history_import_orders_pkey" primary key ("import_id", "line"));`);
    this.addSql(`create index "history_import_orders_chunk_idx" on "history_import_orders" ("import_id", "member_external_id");`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "history_import_orders";');
  }
}
