import { Migration } from '@mikro-orm/migrations';

export class Migration20261126005440_growth_analytics extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "member_activity_days" ("member_id" uuid not null, "day" date not null, constraint "member_activity_days_pkey" primary key ("member_id", "day"));`);
    this.addSql(`create index "member_activity_days_day_idx" on "member_activity_days" ("day");`);

    this.addSql(`create index "members_joined_at_idx" on "members" ("joined_at");`);

    this.addSql(`create index "orders_placed_at_idx" on "orders" ("placed_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "member_activity_days" cascade;`);

    this.addSql(`drop index "members_joined_at_idx";`);

    this.addSql(`drop index "orders_placed_at_idx";`);
  }

}
