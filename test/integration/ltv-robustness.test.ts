import { loadConfig } from '../../src/config/config';
import { LtvFitFailure, runLtv } from '../../src/modules/ltv/ltv-run';
import { LtvRun, LtvRunStatus } from '../../src/modules/ltv/ltv-run.entity';
import { MIN_FIT_CUSTOMERS, MIN_REPEAT_BUYERS } from '../../src/modules/ltv/btyd';
import { openTestOrm, TestOrm } from '../helpers/database';
import { floatPrng } from '../helpers/random';
import { insertPopulation, insertUsdOrder } from '../factories/ltv.factory';
import { v7 as uuidv7 } from 'uuid';
import { newReferralCode } from '../../src/modules/referrals/referral-code';

jest.setTimeout(120_000);

/*
 * Data the models cannot describe end in a clear outcome: the run fails with the reason (LtvFitFailure, recorded
 * FAILED on ltv_runs) and the previous scores stay, or the fit converges inside sensible values. Never
 * non-finite scores, never an unexplained error.
 */

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const DAY = 24 * 60 * 60 * 1000;
const FROM = new Date('2024-01-01T00:00:00Z');
const TO = new Date('2025-07-01T00:00:00Z');

async function insertMember(db: TestOrm, externalId: string): Promise<string> {
  const id = uuidv7();
  await db.orm.em.fork().execute(
    `insert into members (id, external_id, email, country, locale, status, joined_at, created_at, enrollment_hash, referral_code)
     values (?, ?, ?, 'US', 'en-US', 'ACTIVE', ?, now(), 'factory', ?)`,
    [id, externalId, `${externalId}@example.com`, FROM, newReferralCode()],
  );
  return id;
}

describe('LTV runs on data the models cannot describe', () => {
  let db: TestOrm;
  const run = (asOf: Date) => runLtv(db.orm.em.fork(), { asOf, baseCurrency: 'USD', settings: config.ltv, waitForLock: true });
  const scores = () => db.orm.em.fork().execute('select * from member_ltv order by member_id');
  /** Runs, expects an LtvFitFailure whose reason matches, and checks the FAILED record and the untouched scores. */
  const expectFailure = async (asOf: Date, reason: RegExp) => {
    const before = await scores();
    const failure = await run(asOf).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(LtvFitFailure);
    expect((failure as LtvFitFailure).reason).toMatch(reason);
    const record = await db.orm.em.fork().findOneOrFail(LtvRun, { id: (failure as LtvFitFailure).runId });
    expect(record).toMatchObject({ status: LtvRunStatus.FAILED, r: null, a: null, p: null, membersScored: 0, error: (failure as LtvFitFailure).reason });
    expect(await scores()).toEqual(before);
  };

  beforeAll(async () => {
    db = await openTestOrm(4);
  });
  afterAll(() => db.close());

  it('fails with the reason when only a handful of members ever ordered', async () => {
    const random = floatPrng(3);
    for (let index = 0; index < 5; index += 1) {
      const id = await insertMember(db, `handful-${index}`);
      for (let n = 0; n < 4; n += 1) await insertUsdOrder(db.orm.em.fork(), id, `handful-${index}-${n}`, new Date(FROM.getTime() + Math.floor(random.uniform() * 500) * DAY), 2000 + n);
    }
    await expectFailure(TO, new RegExp(`too few customers to fit the models: 5 member\\(s\\) with an order, at least ${MIN_FIT_CUSTOMERS} needed`));
  });

  it('fails with the reason when everyone bought once', async () => {
    for (let index = 0; index < 60; index += 1) {
      const id = await insertMember(db, `once-${index}`);
      await insertUsdOrder(db.orm.em.fork(), id, `once-${index}-0`, new Date(FROM.getTime() + index * 7 * DAY), 1500 + index);
    }
    // The handful above ordered on several days: 5 repeat buyers among 65 customers.
    await expectFailure(TO, new RegExp(`too few repeat buyers to fit the spend model: 5 member\\(s\\) ordered on more than one day, at least ${MIN_REPEAT_BUYERS} needed`));
  });

  it('keeps the scores of the last good run when a later run fails', async () => {
    await insertPopulation(db.orm.em.fork(), { members: 200, from: FROM, to: TO, seed: 11, prefix: 'good' });
    const good = await run(TO);
    expect(good?.status).toBe(LtvRunStatus.SUCCEEDED);
    const [{ count }] = await db.orm.em.fork().execute<{ count: string }[]>('select count(*) from member_ltv');
    expect(Number(count)).toBe(265);
    // As of a day when only a handful had ordered, the run fails and the scores as of TO stay.
    await expectFailure(new Date(FROM.getTime() + 3 * DAY), /too few customers to fit the models/);
  });
});

describe('LTV runs on uniformly random orders', () => {
  let db: TestOrm;
  beforeAll(async () => {
    db = await openTestOrm(4);
  });
  afterAll(() => db.close());

  it('fails with the reason instead of scoring a fit that ran to the edge of the parameter space', async () => {
    // 300 members ordering at uniformly random times over the whole period, at one common rate, none lapsing:
    // no heterogeneity and no dropout for BG/NBD to describe.
    const random = floatPrng(20);
    const span = TO.getTime() - FROM.getTime();
    for (let index = 0; index < 300; index += 1) {
      const id = await insertMember(db, `uniform-${index}`);
      const orders = 1 + Math.floor(random.uniform() * 12);
      for (let n = 0; n < orders; n += 1) {
        await insertUsdOrder(db.orm.em.fork(), id, `uniform-${index}-${n}`, new Date(FROM.getTime() + Math.floor(random.uniform() * span)), 1000 + Math.floor(random.uniform() * 9000));
      }
    }
    const failure = await runLtv(db.orm.em.fork(), { asOf: TO, baseCurrency: 'USD', settings: config.ltv, waitForLock: true }).then(() => null, (error: unknown) => error);
    expect(failure).toBeInstanceOf(LtvFitFailure);
    expect((failure as LtvFitFailure).reason).toMatch(/^BG\/NBD: /);
    const [record] = await db.orm.em.fork().execute('select status, error from ltv_runs');
    expect(record).toEqual({ status: 'FAILED', error: (failure as LtvFitFailure).reason });
    expect(await db.orm.em.fork().execute('select * from member_ltv')).toEqual([]);
  });
});
