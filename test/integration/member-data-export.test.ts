import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext, RequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import type { Principal } from '../../src/auth/principal';
import { MemberDataExportService } from '../../src/modules/privacy/member-data-export.service';
import { openTestOrm, TestOrm } from '../helpers/database';
import { memberInput } from '../factories/member.factory';

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const logger = createLogger('silent');
const admin: Principal = { role: 'admin', subject: 'admin-export' };

/** The export reads each section page by page (keyset on a unique key): small pages give the same document as one big page. */
describe('member data export paging', () => {
  let db: TestOrm;
  let requests = 0;
  const services = createServices();
  const as = (principal?: Principal): RequestContext =>
    createRequestContext({ em: db.orm.em.fork(), principal, requestId: `export-test-${++requests}`, config, logger }, services);

  beforeAll(async () => {
    db = await openTestOrm();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('pages 25 ledger entries 7 at a time, in order, with nothing lost or repeated', async () => {
    const member = await services.members.enroll(as(admin), memberInput());
    for (let index = 1; index <= 25; index += 1) {
      await services.adjustments.adjust(as(admin), { memberId: member.id, points: index, reason: `grant ${index}`, idempotencyKey: `export-${member.id}-${index}` });
    }
    const small = JSON.parse((await new MemberDataExportService(services.audit, 7).export(as(admin), member.id)).json);
    const large = JSON.parse((await services.dataExport.export(as(admin), member.id)).json);
    expect(small.ledger.map((entry: { amount: string }) => Number(entry.amount))).toEqual(Array.from({ length: 25 }, (_, index) => index + 1));
    expect(small.lots).toHaveLength(25);
    const withoutAudit = (document: Record<string, unknown>) => ({ ...document, generatedAt: null, auditEntries: null });
    expect(withoutAudit(small)).toEqual(withoutAudit(large));
    // Each export is audited, with the adjustments and the first export before the second.
    expect(large.auditEntries.filter((entry: { action: string }) => entry.action === 'member.export')).toHaveLength(2);
  });
});
