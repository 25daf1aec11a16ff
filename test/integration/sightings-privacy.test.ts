import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import type { Principal } from '../../src/auth/principal';
import { deleteOldSightings } from '../../src/jobs/privacy-jobs';
import { personalDataHash } from '../../src/modules/privacy/personal-data-hash';
import { Referral } from '../../src/modules/referrals/referral.entity';
import { openTestOrm, TestOrm } from '../helpers/database';
import { Migration20261204040000_hashed_sightings } from '../../migrations/Migration20261204040000_hashed_sightings';
import { memberInput } from '../factories/member.factory';

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PRIVACY_HASH_SECRET: 'sightings-test-secret-0123456789abcdef' });
const logger = createLogger('silent');
const shop: Principal = { role: 'storefront', subject: 'shop-sightings' };
const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2026-06-01T12:00:00Z');

/** Referral-fraud device ids and IPs at rest: keyed hashes, compared by the rules, deleted after the retention period. */
describe('sightings at rest', () => {
  let db: TestOrm;
  let requests = 0;
  const services = createServices();
  const as = (principal?: Principal) => createRequestContext({ em: db.orm.em.fork(), principal, requestId: `sightings-${++requests}`, config, logger }, services);
  const sightingsOf = (memberId: string) =>
    db.orm.em.fork().execute<{ kind: string; value: string }[]>('select kind, value from member_sightings where member_id = ? order by kind', [memberId]);

  beforeAll(async () => {
    db = await openTestOrm();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('stores HMACs of the device id and IP, never the values, and the fraud rules still match them', async () => {
    const referrer = await services.members.enroll(as(shop), memberInput({ deviceId: 'device-abc', ip: '192.0.2.10' }));
    expect(await sightingsOf(referrer.id)).toEqual([
      { kind: 'DEVICE', value: personalDataHash(config.privacy.hashSecret, 'DEVICE', 'device-abc') },
      { kind: 'IP', value: personalDataHash(config.privacy.hashSecret, 'IP', '192.0.2.10') },
    ]);
    expect((await sightingsOf(referrer.id))[0].value).toMatch(/^[0-9a-f]{64}$/);
    const sameDevice = await services.members.enroll(as(shop), memberInput({ referralCode: referrer.referralCode, deviceId: 'device-abc', ip: '192.0.2.99' }));
    expect(await db.orm.em.fork().findOneOrFail(Referral, { memberId: sameDevice.id })).toMatchObject({ status: 'REJECTED', rejectionReason: 'DUPLICATE_DEVICE' });
    const sameIp = await services.members.enroll(as(shop), memberInput({ referralCode: referrer.referralCode, deviceId: 'device-other', ip: '192.0.2.10' }));
    expect(await db.orm.em.fork().findOneOrFail(Referral, { memberId: sameIp.id })).toMatchObject({ status: 'REJECTED', rejectionReason: 'DUPLICATE_IP' });
    // The same value under another key is another hash: the key is what makes a guess untestable.
    expect(personalDataHash('another-key', 'IP', '192.0.2.10')).not.toBe(personalDataHash(config.privacy.hashSecret, 'IP', '192.0.2.10'));
  });

  it('deletes sightings last seen more than SIGHTING_RETENTION_DAYS ago, and only those', async () => {
    const member = await services.members.enroll(as(shop), memberInput());
    const em = db.orm.em.fork();
    await em.execute('delete from member_sightings');
    const insert = (value: string, seenAt: Date) => em.execute(`insert into member_sightings (member_id, kind, value, seen_at) values (?, 'IP', ?, ?)`, [member.id, value, seenAt]);
    await insert('old', new Date(NOW.getTime() - 181 * DAY));
    await insert('edge', new Date(NOW.getTime() - 180 * DAY));
    await insert('new', new Date(NOW.getTime() - 1 * DAY));
    expect(await deleteOldSightings(db.orm, config, NOW)).toBe(1);
    expect((await sightingsOf(member.id)).map((row) => row.value).sort()).toEqual(['edge', 'new']);
  });

  it('the migration turns existing clear-text sightings into hashes with the configured key', async () => {
    const member = await services.members.enroll(as(shop), memberInput());
    const em = db.orm.em.fork();
    await em.execute('delete from member_sightings');
    await em.execute(`insert into member_sightings (member_id, kind, value, seen_at) values (?, 'DEVICE', 'clear-device', now()), (?, 'IP', '203.0.113.5', now())`, [member.id, member.id]);
    const previous = process.env.PRIVACY_HASH_SECRET;
    process.env.PRIVACY_HASH_SECRET = config.privacy.hashSecret;
    try {
      // Its data step runs at once; the queued index statement is not needed here (the index exists).
      await new Migration20261204040000_hashed_sightings(db.orm.em.getDriver(), db.orm.config).up();
    } finally {
      if (previous === undefined) delete process.env.PRIVACY_HASH_SECRET;
      else process.env.PRIVACY_HASH_SECRET = previous;
    }
    expect(await sightingsOf(member.id)).toEqual([
      { kind: 'DEVICE', value: personalDataHash(config.privacy.hashSecret, 'DEVICE', 'clear-device') },
      { kind: 'IP', value: personalDataHash(config.privacy.hashSecret, 'IP', '203.0.113.5') },
    ]);
  });
});
