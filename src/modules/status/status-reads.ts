/**
 * The member-status reads of every request in one turn of the event loop, sent together: one statement per
 * variant (the parts asked and the key), whatever the number of requests. Under load many requests look members up
 * at once, and each then costs a share of one round trip instead of one of its own. A read waits at most until the
 * event loop's next check phase (setImmediate). Only reads on the pool come here (a request's status look-ups, outside
 * any transaction); each batch reads at its own `now`, taken after every request in it began, so it sees everything
 * they wrote before. Nothing is kept between batches.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { runNamed } from '../../db/sql';
import { isUuid } from '../../validation';
import { DAY_MS } from '../../time';
import { EXPIRING_SOON_DAYS } from '../ledger/balance.service';
import { TierSettings, windowStart } from '../tiers/tier.service';
import { memberStatusParameters, memberStatusStatement, MemberKey, StatusPart } from './member-status.sql';

type Row = Record<string, any>;

interface Waiting {
  values: ReadonlySet<string>;
  resolve(rows: Row[]): void;
  reject(error: unknown): void;
}

interface Batch {
  parts: ReadonlySet<StatusPart>;
  key: MemberKey;
  values: Set<string>;
  waiting: Waiting[];
}

export class StatusReads {
  private readonly open = new Map<string, Batch>();

  constructor(
    private readonly em: EntityManager,
    private readonly settings: TierSettings,
  ) {}

  /** The rows of the members whose `key` is one of `values` (absent ones have none), with `parts`. */
  read(parts: ReadonlySet<StatusPart>, key: MemberKey, values: readonly string[]): Promise<Row[]> {
    // Inside a transaction (em.transactional's context): read there, alone, as the transaction sees it.
    if (this.em.getTransactionContext()) return this.statement(parts, key, values);
    // A value no member can have never joins a batch, where the database refusing it would fail other requests too.
    values = values.filter((value) => couldMatch(key, value));
    if (values.length === 0) return Promise.resolve([]);
    const name = memberStatusStatement(parts, key).name;
    let batch = this.open.get(name);
    if (!batch) {
      const opened: Batch = { parts: new Set(parts), key, values: new Set(), waiting: [] };
      this.open.set(name, opened);
      setImmediate(() => void this.send(name, opened));
      batch = opened;
    }
    for (const value of values) batch.values.add(value);
    const waiting = batch.waiting;
    return new Promise((resolve, reject) => waiting.push({ values: new Set(values), resolve, reject }));
  }

  private async send(name: string, batch: Batch): Promise<void> {
    this.open.delete(name);
    try {
      const rows = await this.statement(batch.parts, batch.key, [...batch.values]);
      // Each request gets its own members' rows only.
      for (const waiting of batch.waiting) waiting.resolve(rows.filter((row) => waiting.values.has(String(row[batch.key]))));
    } catch (error) {
      for (const waiting of batch.waiting) waiting.reject(error);
    }
  }

  private statement(parts: ReadonlySet<StatusPart>, key: MemberKey, values: readonly string[]): Promise<Row[]> {
    const now = new Date();
    return readStatusRows(this.em, parts, key, values, now, windowStart(now, this.settings));
  }
}

function couldMatch(key: MemberKey, value: string): boolean {
  return !value.includes('\u0000') && (key !== 'id' || isUuid(value));
}

/**
 * The member-status statement for these keys, read at `now` (lots expiring within EXPIRING_SOON_DAYS of it count as
 * expiring soon) with the qualifying spend counted after `spendFrom`, on the EntityManager's connections (or its
 * transaction). The one place the statement's values are put together.
 */
export function readStatusRows(em: EntityManager, parts: ReadonlySet<StatusPart>, key: MemberKey, values: readonly string[], now: Date, spendFrom: Date): Promise<Row[]> {
  return runNamed<Row>(
    em,
    memberStatusStatement(parts, key),
    memberStatusParameters(parts, { keys: [...values], now, expiringBy: new Date(now.getTime() + EXPIRING_SOON_DAYS * DAY_MS), spendFrom }),
  );
}

const readsByDatabase = new WeakMap<EntityManager, WeakMap<TierSettings, StatusReads>>();

/** The process's status reads on this (root) EntityManager's pool, with these settings: one StatusReads for each pair. */
export function statusReadsOn(em: EntityManager, settings: TierSettings): StatusReads {
  let bySettings = readsByDatabase.get(em);
  if (!bySettings) readsByDatabase.set(em, (bySettings = new WeakMap()));
  let reads = bySettings.get(settings);
  if (!reads) bySettings.set(settings, (reads = new StatusReads(em, settings)));
  return reads;
}
