import { Migration } from '@mikro-orm/migrations';

/**
 * PostgreSQL fires the triggers of one event in the order of their names. The growth rollups' triggers end by
 * writing the month totals and cohort cells every order adds to (growth_apply_orders), rows that two transactions
 * adding orders share: each waits there for the other's commit. Before this, the summaries' triggers
 * (ltv_rfm_orders_*, Migration20261209000000_ltv_member_rfm) fired after them, so a large insert held those shared
 * rows while its summaries were worked out (a bulk import's two chunks waited on each other for as long). Renamed
 * with a `z_` prefix, the growth triggers fire last: the shared rows are held from there to the commit only.
 */
export class Migration20261210000000_growth_triggers_fire_last extends Migration {
  override async up(): Promise<void> {
    for (const event of ['inserted', 'updated', 'deleted']) this.addSql(`alter trigger growth_orders_${event} on orders rename to z_growth_orders_${event};`);
  }

  override async down(): Promise<void> {
    for (const event of ['inserted', 'updated', 'deleted']) this.addSql(`alter trigger z_growth_orders_${event} on orders rename to growth_orders_${event};`);
  }
}
