import { isEmptyProgramme, seedDemoData } from '../../src/db/seed';
import { Member } from '../../src/modules/members/member.entity';
import { AuditLog } from '../../src/modules/audit/audit-log.entity';
import { demoMembers } from '../../seeds/demo.seeder';
import { openTestOrm, TestOrm } from '../helpers/database';

describe('demo seed', () => {
  let db: TestOrm;
  beforeAll(async () => {
    db = await openTestOrm();
  });
  afterAll(() => db.close());

  it('loads members in several markets, locales and channels, once however often it runs', async () => {
    expect(await isEmptyProgramme(db.orm)).toBe(true);
    await seedDemoData(db.orm);
    await seedDemoData(db.orm);
    expect(await isEmptyProgramme(db.orm)).toBe(false);
    const members = await db.orm.em.fork().find(Member, {}, { orderBy: { externalId: 'asc' } });
    expect(members).toHaveLength(demoMembers().length);
    expect(new Set(members.map((member) => member.country))).toEqual(new Set(['US', 'DE', 'ID', 'MY', 'SA', 'BR', 'JP', 'KW']));
    expect(new Set(members.map((member) => member.acquisitionChannel))).toEqual(new Set(['organic', 'google_ads', 'tiktok', 'instagram', 'referral']));
    expect(members.find((member) => member.externalId === 'demo-id-1')).toMatchObject({ locale: 'id-ID', email: 'siti.id@demo.perkgraph.dev' });
    // Seeds run as the system: no caller, so nothing is audited.
    expect(await db.orm.em.fork().count(AuditLog, {})).toBe(0);
  });
});
