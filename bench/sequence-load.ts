/**
 * Load made of request sequences: each autocannon connection sends the steps of a sequence one after the other
 * (each step built from what the previous answers left in the sequence's context, such as a hold id), then starts
 * a new sequence. Counts completed sequences and their latency from the first request to the last answer.
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { onInterrupt } from './harness';
import { percentile } from './pgbench';

export type SequenceContext = Record<string, unknown>;

export interface SequenceStep {
  /** The JSON body to POST, built from the context. */
  body(context: SequenceContext): string;
  /**
   * Checks one answer (status and body) and keeps what later steps need in the context. Returning false counts a
   * wrong answer and abandons the sequence.
   */
  check(status: number, body: string, context: SequenceContext): boolean;
  /** Headers for this request only, built from its body (a signature over it, say); merged over the load's headers. */
  headers?(body: string): Record<string, string>;
}

export interface SequenceLoadOptions {
  url: string;
  headers: Record<string, string>;
  steps: SequenceStep[];
  durationSeconds: number;
  connections: number;
}

export interface SequenceLoadResult {
  /** Completed sequences per second. */
  perSecond: number;
  completed: number;
  /** Latency of a whole sequence. */
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  /** 2xx answers the step rejected (a GraphQL error, say). */
  wrong: number;
  durationSeconds: number;
}

const STARTED = '__startedAt';
const FAILED = '__failed';

export async function runSequenceLoad(options: SequenceLoadOptions): Promise<SequenceLoadResult> {
  const latencies: number[] = [];
  let wrong = 0;
  const last = options.steps.length - 1;
  const requests = options.steps.map((step, index) => ({
    method: 'POST' as const,
    path: new URL(options.url).pathname,
    // autocannon builds each request when the previous answer is in; returning nothing restarts the sequence.
    setupRequest: (request: autocannon.Request, context: object) => {
      const state = context as SequenceContext;
      if (index === 0) {
        for (const key of Object.keys(state)) delete state[key];
        state[STARTED] = performance.now();
      } else if (state[FAILED]) {
        return undefined as unknown as autocannon.Request;
      }
      const body = step.body(state);
      return step.headers ? { ...request, body, headers: { ...options.headers, ...step.headers(body) } } : { ...request, body };
    },
    onResponse: (status: number, body: string, context: object) => {
      const state = context as SequenceContext;
      if (state[FAILED]) return;
      if (!step.check(status, String(body), state)) {
        if (status >= 200 && status < 300) wrong += 1;
        state[FAILED] = true;
        return;
      }
      if (index === last) latencies.push(performance.now() - (state[STARTED] as number));
    },
  }));

  let forget = () => {};
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        headers: options.headers,
        connections: options.connections,
        duration: options.durationSeconds,
        requests,
      },
      (error: unknown, result: autocannon.Result) => (error ? reject(error) : resolve(result)),
    );
    forget = onInterrupt(async () => instance.stop());
  }).finally(() => forget());
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / seconds,
    completed: latencies.length,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    requests: result.requests.total,
    errors: result.errors, // autocannon counts timeouts among errors
    non2xx: result.non2xx,
    wrong,
    durationSeconds: seconds,
  };
}

export function isCleanSequenceLoad(result: SequenceLoadResult): boolean {
  return result.errors === 0 && result.non2xx === 0 && result.wrong === 0;
}
