import { Client } from 'pg';
import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import { Principal } from '../../src/auth/principal';
import { StatusReads } from '../../src/modules/status/status-reads';
import { openTestOrm, TestOrm } from '../helpers/database';
import { memberInput } from '../factories/member.factory';

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const logger = createLogger('silent');
const admin: Principal = { role: 'admin', subject: 'admin-status-reads' };

/** Member-status reads of many requests in one turn of the event loop: one statement, each request its own rows. */
describe('status reads batched across requests', () => {
  let db: TestOrm;
  const services = createServices();
  let statusStatements = 0;
  const original = Client.prototype.query;

  beforeAll(async () => {
    db = await openTestOrm();
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      const config = args[0] as string | { text?: string };
      const text = typeof config === 'string' ? config : config?.text ?? '';
      if (/^select m\.\*/.test(text)) statusStatements += 1;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof Client.prototype.query;
  });
  afterAll(async () => {
    Client.prototype.query = original;
    await db.close();
  });

  const enrolled = async (count: number) => {
    const members = [];
    for (let index = 0; index < count; index += 1) {
      const as = createRequestContext({ em: db.orm.em.fork(), principal: admin, requestId: `status-reads-${index}`, config, logger }, services);
      members.push(await services.members.enroll(as, memberInput()));
    }
    return members;
  };

  it('sends the reads of one turn as one statement and gives each caller only its own members', async () => {
    const members = await enrolled(5);
    const reads = new StatusReads(db.orm.em, config);
    const parts = new Set(['balances'] as const);
    statusStatements = 0;
    const [first, second, third, nobody] = await Promise.all([
      reads.read(parts, 'id', [members[0].id, members[1].id]),
      reads.read(parts, 'id', [members[2].id]),
      reads.read(parts, 'external_id', [members[3].externalId, members[4].externalId]),
      reads.read(parts, 'id', ['00000000-0000-4000-8000-000000000000']),
    ]);
    // One statement per variant (the key differs): by id, by external id.
    expect(statusStatements).toBe(2);
    expect(first.map((row) => row.id).sort()).toEqual([members[0].id, members[1].id].sort());
    expect(second.map((row) => row.id)).toEqual([members[2].id]);
    expect(third.map((row) => row.external_id).sort()).toEqual([members[3].externalId, members[4].externalId].sort());
    expect(nobody).toEqual([]);
  });

  it('keeps a value no member can have out of the batch, so it fails no other caller', async () => {
    const [member] = await enrolled(1);
    const reads = new StatusReads(db.orm.em, config);
    const parts = new Set(['tier'] as const);
    statusStatements = 0;
    const [mine, malformed, nul] = await Promise.all([
      reads.read(parts, 'id', [member.id]),
      reads.read(parts, 'id', ['not-a-uuid']),
      reads.read(parts, 'email', ['a\u0000@example.com']),
    ]);
    expect(statusStatements).toBe(1);
    expect(mine.map((row) => row.id)).toEqual([member.id]);
    expect([malformed, nul]).toEqual([[], []]);
  });

  it('reads in the next turn what a caller wrote before asking', async () => {
    const [member] = await enrolled(1);
    const reads = new StatusReads(db.orm.em, config);
    const parts = new Set(['balances'] as const);
    const before = await reads.read(parts, 'id', [member.id]);
    expect(before[0].balances).toBeNull();
    const as = createRequestContext({ em: db.orm.em.fork(), principal: admin, requestId: 'status-reads-adjust', config, logger }, services);
    await services.adjustments.adjust(as, { memberId: member.id, points: 40, reason: 'test', idempotencyKey: 'status-reads-1' });
    const [after] = await reads.read(parts, 'id', [member.id]);
    expect(after.balances.map((balance: { currency: string; posted: string }) => [balance.currency, balance.posted])).toEqual([['PTS', '40']]);
  });
});
