import { Counter, Histogram, Registry } from 'prom-client';

/**
 * Domain counters, process-wide: the ledger, jobs, LTV runs, Stripe events and authentication count here with
 * one call, without holding the app's Metrics; Metrics merges this registry into /metrics.
 */
export const domainRegistry = new Registry();

const ledgerCommands = new Counter({
  name: 'perkgraph_ledger_commands_total',
  help: 'Points-moving commands (hold, capture, release, adjust, record_order, refund, redeem) by outcome: ok, insufficient_points, conflict, refused, unavailable, failed.',
  labelNames: ['kind', 'outcome'] as const,
  registers: [domainRegistry],
});

const ledgerReplays = new Counter({
  name: 'perkgraph_ledger_replays_total',
  help: 'Commands answered as the replay of an earlier one with the same idempotency key (also counted as ok).',
  labelNames: ['kind'] as const,
  registers: [domainRegistry],
});

const jobRuns = new Counter({
  name: 'perkgraph_job_runs_total',
  help: 'Scheduled job runs by job and outcome (ok, failed).',
  labelNames: ['job', 'outcome'] as const,
  registers: [domainRegistry],
});

const jobDuration = new Histogram({
  name: 'perkgraph_job_run_duration_seconds',
  help: 'Scheduled job run duration by job.',
  labelNames: ['job'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
  registers: [domainRegistry],
});

const ltvRuns = new Counter({
  name: 'perkgraph_ltv_runs_total',
  help: 'LTV runs by outcome (succeeded, failed).',
  labelNames: ['outcome'] as const,
  registers: [domainRegistry],
});

const stripeEvents = new Counter({
  name: 'perkgraph_stripe_events_total',
  help: 'Stripe webhook deliveries by event type and outcome (processed, deferred, duplicate, ignored, no_member, refused, failed).',
  labelNames: ['type', 'outcome'] as const,
  registers: [domainRegistry],
});

const authenticationRejections = new Counter({
  name: 'perkgraph_authentication_rejections_total',
  help: 'Requests refused for authentication: bad_token (HTTP 401) or missing_token (a field that needs a token).',
  labelNames: ['reason'] as const,
  registers: [domainRegistry],
});

const transactionRetries = new Counter({
  name: 'perkgraph_transaction_retries_total',
  help: 'Mutations run again after their transaction lost a serialization race or a deadlock, by mutation.',
  labelNames: ['mutation'] as const,
  registers: [domainRegistry],
});

export type LedgerCommandKind = 'hold' | 'capture' | 'release' | 'adjust' | 'record_order' | 'refund' | 'redeem';
export type LedgerOutcome = 'ok' | 'insufficient_points' | 'conflict' | 'refused' | 'unavailable' | 'failed';

export function countLedgerCommand(kind: LedgerCommandKind, outcome: LedgerOutcome): void {
  ledgerCommands.inc({ kind, outcome });
}

/** One line where a command answers as a replay of an earlier one. */
export function countLedgerReplay(kind: LedgerCommandKind): void {
  ledgerReplays.inc({ kind });
}

/** Runs a scheduled job, counting its outcome and timing it; rethrows its error. */
export async function observeJobRun<T>(job: string, work: () => Promise<T>): Promise<T> {
  const stop = jobDuration.startTimer({ job });
  try {
    const result = await work();
    jobRuns.inc({ job, outcome: 'ok' });
    return result;
  } catch (error) {
    jobRuns.inc({ job, outcome: 'failed' });
    throw error;
  } finally {
    stop();
  }
}

export function countLtvRun(outcome: 'succeeded' | 'failed'): void {
  ltvRuns.inc({ outcome });
}

/** Event types are counted by name only for types we know; others count as "other" (labels stay bounded). */
export function countStripeEvent(type: string, outcome: string, knownTypes: ReadonlySet<string>): void {
  stripeEvents.inc({ type: knownTypes.has(type) ? type : 'other', outcome });
}

export function countAuthenticationRejection(reason: 'bad_token' | 'missing_token'): void {
  authenticationRejections.inc({ reason });
}

export function countTransactionRetry(mutation: string): void {
  transactionRetries.inc({ mutation });
}
