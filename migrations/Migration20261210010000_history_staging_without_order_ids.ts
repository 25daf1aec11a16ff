import { Migration } from '@mikro-orm/migrations';

/**
 * Staged history orders no longer carry the order's id: the apply gives it when it reads the chunk, in the order the
 * chunk writes its rows, so that the orders' key and the order_id indexes of transfers, lots and refunds take the
 * rising ids at their right edge (given while reading the file, in the file's order, they landed all over them).
 * The staging table holds rows only while an import runs; one interrupted before this migration is run again.
 */
export class Migration20261210010000_history_staging_without_order_ids extends Migration {
  override async up(): Promise<void> {
    this.addSql('delete from "history_import_orders";');
    this.addSql('alter table "history_import_orders" drop column "id";');
  }

  override async down(): Promise<void> {
    this.addSql('delete from "history_import_orders";');
    this.addSql('alter table "history_import_orders" add column "id" uuid not null;');
  }
}
