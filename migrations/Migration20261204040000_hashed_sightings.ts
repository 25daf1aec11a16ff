import { Migration } from '@mikro-orm/migrations';
import { loadConfig } from '../src/config/config';
import { personalDataHash } from '../src/modules/privacy/personal-data-hash';

/**
 * Device ids and IPs in member_sightings become keyed hashes (HMAC with PRIVACY_HASH_SECRET, as recordSightings
 * now writes them), so run it with the same environment as the server (it does: the server migrates on start).
 * Also an index on seen_at for the retention job.
 */
export class Migration20261204040000_hashed_sightings extends Migration {

  override async up(): Promise<void> {
    const secret = loadConfig(process.env).privacy.hashSecret;
    const rows = (await this.execute('select member_id, kind, value from member_sightings')) as { member_id: string; kind: 'DEVICE' | 'IP'; value: string }[];
    for (const row of rows) {
      await this.execute('update member_sightings set value = ? where member_id = ? and kind = ? and value = ?', [
        personalDataHash(secret, row.kind, row.value),
        row.member_id,
        row.kind,
        row.value,
      ]);
    }
    this.addSql(`create index "member_sightings_seen_at_index" on "member_sightings" ("seen_at");`);
  }

  override async down(): Promise<void> {
    // Hashes cannot be turned back into device ids and IPs: the sightings are dropped instead.
    this.addSql(`delete from "member_sightings";`);
    this.addSql(`drop index if exists "member_sightings_seen_at_index";`);
  }

}
