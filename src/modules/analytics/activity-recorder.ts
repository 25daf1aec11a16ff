import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../../observability/logger';

/** How many (member, day) marks one process remembers before it starts afresh. */
const REMEMBERED_LIMIT = 50_000;

/** How long marks wait to be written together. */
const FLUSH_DELAY_MS = 250;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Marks members active for the (UTC) day. Marks are batched: every FLUSH_DELAY_MS at most one
 * `insert ... on conflict do nothing` writes the members first seen since the last write (one per member per day per
 * process). The database's primary key (member_id, day) is what keeps one row per member per day, across any
 * number of replicas; the in-process set only saves repeated writes, so forgetting it is always safe.
 * The write does not hold up requests; a failure is logged and its members are written again on their next request.
 */
export class ActivityRecorder {
  private readonly remembered = new Set<string>();
  private rememberedDay = -1;
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly orm: MikroORM,
    private readonly logger: Logger,
  ) {}

  /** Marks the member whose token subject (externalId) is `subject` active today. Never throws. */
  touch(subject: string, now: number = Date.now()): void {
    const day = Math.floor(now / DAY_MS);
    if (day !== this.rememberedDay) {
      this.remembered.clear();
      this.rememberedDay = day;
    }
    if (this.remembered.has(subject)) return;
    if (this.remembered.size >= REMEMBERED_LIMIT) this.remembered.clear();
    this.remembered.add(subject);
    this.pending.add(subject);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_DELAY_MS);
      this.timer.unref();
    }
  }

  /** Writes what is pending now and resolves once every write started so far has finished (shutdown, tests). */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0) return;
    const subjects = [...this.pending];
    this.pending = new Set();
    const write = this.write(subjects)
      .catch((error: unknown) => {
        for (const subject of subjects) this.remembered.delete(subject);
        this.logger.error({ err: error, members: subjects.length }, 'could not record member activity');
      })
      .finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
  }

  private async write(subjects: string[]): Promise<void> {
    // The day is the database's UTC date, whatever the session time zone.
    await this.orm.em.fork().execute(
      `insert into member_activity_days (member_id, day)
       select id, (now() at time zone 'utc')::date from members where external_id = any(array(select json_array_elements_text(?::json)))
       on conflict do nothing`,
      [JSON.stringify(subjects)],
    );
  }
}
