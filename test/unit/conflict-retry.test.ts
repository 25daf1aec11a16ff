import { conflictBackoffMs, withConflictRetry } from '../../src/db/retry';
import { isDatabaseUnavailable, isTransactionConflict } from '../../src/db/errors';

const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });
const serialization = () => Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' });

describe('withConflictRetry', () => {
  it('runs the work again after a deadlock or a serialization failure, and returns the first success', async () => {
    const failures = [deadlock(), serialization()];
    const retried: number[] = [];
    const attempts: number[] = [];
    const result = await withConflictRetry(
      async (attempt) => {
        attempts.push(attempt);
        const failure = failures.shift();
        if (failure) throw failure;
        return 'done';
      },
      { baseDelayMs: 0, onRetry: (failed) => retried.push(failed) },
    );
    expect([result, attempts, retried]).toEqual(['done', [1, 2, 3], [1, 2]]);
  });

  it('throws the third conflict as it is (three attempts by default)', async () => {
    let runs = 0;
    const last = deadlock();
    await expect(
      withConflictRetry(async () => {
        runs += 1;
        throw runs === 3 ? last : deadlock();
      }, { baseDelayMs: 0 }),
    ).rejects.toBe(last);
    expect(runs).toBe(3);
  });

  it('does not run again after any other error', async () => {
    let runs = 0;
    const refused = Object.assign(new Error('duplicate key'), { code: '23505' });
    await expect(withConflictRetry(async () => { runs += 1; throw refused; }, { baseDelayMs: 0 })).rejects.toBe(refused);
    expect(runs).toBe(1);
  });

  it('finds the conflict wrapped by MikroORM or GraphQL (cause, originalError), and still counts it as unavailable', () => {
    const wrapped = { message: 'wrapped', originalError: Object.assign(new Error('DeadlockException'), { cause: deadlock() }) };
    expect([isTransactionConflict(wrapped), isDatabaseUnavailable(wrapped)]).toEqual([true, true]);
    expect(isTransactionConflict(Object.assign(new Error('gone'), { code: '57P01' }))).toBe(false);
  });

  it('waits a jittered, doubling backoff', () => {
    expect([1, 2, 3].map((retry) => conflictBackoffMs(retry, 25, () => 0.999))).toEqual([24, 49, 99]);
    expect(conflictBackoffMs(2, 25, () => 0)).toBe(0);
  });
});
