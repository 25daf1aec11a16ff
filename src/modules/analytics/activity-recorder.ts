import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../../observability/logger';

/** How many (member, day) marks one process remembers before it starts afresh. */
const REMEMBERED_LIMIT = 50_000;

/**
 * Marks members active for the (UTC) day: one `insert ... on conflict do nothing` per member per day per
 * process. The database's primary key (member_id, day) is what keeps one row per member per day, across any
 * number of replicas; the in-process set only saves repeated writes, so forgetting it is always safe.
 * The write does not hold up the request; a failure is logged and the member is written again on its next request.
 */
export class ActivityRecorder {
  private readonly remembered = new Set<string>();
  private rememberedDay = '';
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly orm: MikroORM,
    private readonly logger: Logger,
  ) {}

  /** Marks the member whose token subject (externalId) is `subject` active today. Never throws. */
  touch(subject: string, now: Date = new Date()): void {
    const day = now.toISOString().slice(0, 10);
    if (day !== this.rememberedDay) {
      this.remembered.clear();
      this.rememberedDay = day;
    }
    if (this.remembered.has(subject)) return;
    if (this.remembered.size >= REMEMBERED_LIMIT) this.remembered.clear();
    this.remembered.add(subject);
    const write = this.write(subject)
      .catch((error: unknown) => {
        this.remembered.delete(subject);
        this.logger.error({ err: error }, 'could not record member activity');
      })
      .finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
  }

  /** Resolves once every write started so far has finished (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async write(subject: string): Promise<void> {
    // The day is the database's UTC date, whatever the session time zone.
    await this.orm.em.fork().execute(
      `insert into member_activity_days (member_id, day)
       select id, (now() at time zone 'utc')::date from members where external_id = ?
       on conflict do nothing`,
      [subject],
    );
  }
}
