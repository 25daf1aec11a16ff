/**
 * Regression, found by the redeem and earn benches: on a fresh programme, concurrent first uses of a system
 * account failed. Ledger.systemAccountId used to insert-or-select in one statement with a CTE; when another
 * transaction had inserted the same account and not yet committed, the insert waited for it, then did nothing,
 * and the select read the snapshot from before that commit: no row, a TypeError, INTERNAL_SERVER_ERROR.
 * It now selects again in a new statement. Only PostgreSQL runs transactions side by side; PGlite's one backend
 * runs them one after the other, so there is nothing to race there.
 */
import { Client } from 'pg';
import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext, RequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import { Principal } from '../../src/auth/principal';
import { openTestOrm, TestOrm } from '../helpers/database';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { memberInput } from '../factories/member.factory';

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const logger = createLogger('silent');
const admin: Principal = { role: 'admin', subject: 'admin-race' };
const shop: Principal = { role: 'storefront', subject: 'shop-race' };
const onPostgres = Boolean(process.env.DATABASE_URL);

describe('system accounts created by two transactions at once', () => {
  let db: TestOrm;
  let requests = 0;
  const services = createServices();
  const as = (principal: Principal): RequestContext =>
    createRequestContext({ em: db.orm.em.fork(), principal, requestId: `race-test-${++requests}`, config, logger }, services);

  beforeAll(async () => {
    db = await openTestOrm(4);
  });
  afterAll(() => db.close());

  (onPostgres ? it : it.skip)('an order earns when another transaction creates the ISSUANCE account while it waits', async () => {
    const member = await services.members.enroll(as(admin), memberInput());
    const other = new Client({ connectionString: db.database.url });
    await other.connect();
    const observer = new Client({ connectionString: db.database.url });
    await observer.connect();
    try {
      // The other transaction (another request's first earn, say) creates the system account, not yet committed.
      await other.query('begin');
      await other.query(`insert into points_accounts (currency, system_code) values ('PTS', 'ISSUANCE')`);
      const order = services.orders.record(as(shop), { memberId: member.id, externalId: 'race-order-1', amount: { amount: '12.00', currency: 'USD' } });
      order.catch(() => undefined); // awaited below; keep an early rejection from being unhandled
      // Wait until recordOrder's system-account statement waits for the other transaction's row.
      for (let tries = 0; ; tries++) {
        const { rows } = await observer.query<{ waiting: number }>(
          `select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        );
        if (rows[0].waiting === 1) break;
        if (tries > 500) throw new Error('recordOrder never waited for the other transaction');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await other.query('commit');

      await expect(order).resolves.toMatchObject({ externalId: 'race-order-1', pointsEarned: 12 });
      const balance = await services.balances.balanceOf(as(admin), member.id, 'PTS');
      expect(balance.pending).toBe(12n);
      expect(await checkLedgerInvariants(db.orm)).toEqual(NO_VIOLATIONS);
    } finally {
      await other.end();
      await observer.end();
    }
  });
});
