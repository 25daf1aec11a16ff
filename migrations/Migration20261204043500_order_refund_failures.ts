import { Migration } from '@mikro-orm/migrations';

/** A Stripe refund that failed after it was applied: its points were given back at failed_at. */
export class Migration20261204043500_order_refund_failures extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "order_refunds" add column "failed_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "order_refunds" drop column "failed_at";`);
  }

}
