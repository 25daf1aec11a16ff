import { observeJobRun } from '../observability/domain-metrics';

/**
 * Runs `work` every `intervalSeconds` until the returned stop function is called (0 or less: never).
 * A tick that comes while the previous run is still going is skipped, so runs of one job never overlap in a
 * process. A run that fails is reported to `onError` and retried at the next tick; stopping waits for a run in
 * flight. Correctness never depends on it running in one replica only: every job locks what it changes.
 * Each run is counted and timed as `job` in /metrics (perkgraph_job_runs_total, perkgraph_job_run_duration_seconds).
 */
export function scheduleEvery(intervalSeconds: number, work: () => Promise<unknown>, onError: (error: unknown) => void, job = 'job'): () => Promise<void> {
  if (intervalSeconds <= 0) return async () => undefined;
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    running = observeJobRun(job, work)
      .catch(onError)
      .finally(() => {
        busy = false;
      });
  }, intervalSeconds * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
