import { Migration } from '@mikro-orm/migrations';

/** auditLog's action and actor filters read these, newest first, instead of scanning the whole trail. */
export class Migration20261204100000_audit_log_filters extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "audit_log_action_id_index" on "audit_log" ("action", "id");`);
    this.addSql(`create index "audit_log_actor_id_index" on "audit_log" ("actor", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "audit_log_action_id_index";`);
    this.addSql(`drop index if exists "audit_log_actor_id_index";`);
  }

}
