import { scheduleEvery } from '../../src/jobs/schedule';

describe('scheduleEvery', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs at each tick, skips ticks while a run is in flight, reports failures and waits for a run on stop', async () => {
    let calls = 0;
    let finish: (() => void) | undefined;
    const errors: unknown[] = [];
    const stop = scheduleEvery(
      1,
      () => {
        calls += 1;
        if (calls === 2) return Promise.reject(new Error('second run fails'));
        return new Promise<void>((resolve) => (finish = resolve));
      },
      (error) => errors.push(error),
    );
    await jest.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(1);
    await jest.advanceTimersByTimeAsync(3000); // the first run is still going: three ticks skipped
    expect(calls).toBe(1);
    finish!();
    await jest.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(2);
    expect(errors.map((error) => (error as Error).message)).toEqual(['second run fails']);
    await jest.advanceTimersByTimeAsync(1000); // retried at the next tick
    expect(calls).toBe(3);
    let stopped = false;
    const stopping = stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(5000);
    expect({ calls, stopped }).toEqual({ calls: 3, stopped: false }); // no new runs; waits for the one in flight
    finish!();
    await stopping;
    expect(stopped).toBe(true);
  });

  it('never runs with an interval of 0', async () => {
    let calls = 0;
    const stop = scheduleEvery(0, async () => void (calls += 1), () => undefined);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(0);
    await stop();
  });
});
