const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Delays after the 1st, 2nd, ... failed attempt; after the last listed one, every 3 hours. */
export const RETRY_DELAYS_MS = [5 * SECOND, 30 * SECOND, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, HOUR] as const;
export const LATER_RETRY_DELAY_MS = 3 * HOUR;
/** A delivery still failing this long after its event is given up (FAILED). */
export const GIVE_UP_AFTER_MS = 24 * HOUR;
/** An endpoint whose deliveries have failed for this long without a success in between is disabled. */
export const DISABLE_ENDPOINT_AFTER_MS = 5 * 24 * HOUR;

/**
 * When to try a delivery again after its `attempts`-th attempt failed, or null when it is to be given up:
 * about 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 3 h, for 24 h after the event.
 */
export function nextAttemptAt(attempts: number, createdAt: Date, now: Date): Date | null {
  const delay = attempts <= RETRY_DELAYS_MS.length ? RETRY_DELAYS_MS[attempts - 1] : LATER_RETRY_DELAY_MS;
  const next = new Date(now.getTime() + delay);
  return next.getTime() - createdAt.getTime() > GIVE_UP_AFTER_MS ? null : next;
}

/** True when an endpoint failing since `failingSince` should be disabled at `now`. */
export function endpointFailingTooLong(failingSince: Date | null, now: Date): boolean {
  return failingSince !== null && now.getTime() - failingSince.getTime() >= DISABLE_ENDPOINT_AFTER_MS;
}
