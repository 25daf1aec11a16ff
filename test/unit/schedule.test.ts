import { scheduleEvery } from '../../src/jobs/schedule';
import { domainRegistry, observeJobRun } from '../../src/observability/domain-metrics';
import { wantsPrettyLogs } from '../../src/observability/logger';

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

describe('job run metrics', () => {
  it('observeJobRun counts each run by outcome and times it, and passes the error on', async () => {
    expect(await observeJobRun('unit-job', async () => 7)).toBe(7);
    await expect(observeJobRun('unit-job', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const text = await domainRegistry.metrics();
    expect(text).toContain('perkgraph_job_runs_total{job="unit-job",outcome="ok"} 1\n');
    expect(text).toContain('perkgraph_job_runs_total{job="unit-job",outcome="failed"} 1\n');
    expect(text).toContain('perkgraph_job_run_duration_seconds_count{job="unit-job"} 2\n');
  });
});

describe('readable logs', () => {
  it('are for development on a terminal only; JSON otherwise', () => {
    expect(wantsPrettyLogs('development', true)).toBe(true);
    expect(wantsPrettyLogs('development', undefined)).toBe(false);
    expect(wantsPrettyLogs('production', true)).toBe(false);
    expect(wantsPrettyLogs('test', true)).toBe(false);
  });
});
