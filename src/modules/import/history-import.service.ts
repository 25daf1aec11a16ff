import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { performance } from 'node:perf_hooks';
import type { EntityManager } from '@mikro-orm/postgresql';
import { v7 as uuidv7 } from 'uuid';
import type { Config } from '../../config/config';
import { toBaseCurrency } from '../../money/fx';
import { Member } from '../members/member.entity';
import { orderWithinCapOrFail } from '../orders/order-cap';
import { newReferralCode } from '../referrals/referral-code';
import { isUniqueViolation } from '../../db/errors';
import { inTransaction } from '../../db/sql';
import { applyHistoryChunk, ChunkOutcome, ChunkRange, loadApplySettings } from './history-apply';
import {
  columnPositions, historyRefundHash, MEMBER_COLUMNS, MemberRow, ORDER_COLUMNS, parseMemberRow, parseOrderRow,
  RateHistory, RowRejection, validatedRow,
} from './history-rows';
import { dropStaged, openStaging, StagedOrder, stagedChunks } from './history-staging';

/*
 * Bootstraps a programme from history: members.csv, then orders.csv (see README, "Importing history").
 * Members: streamed, validated row by row, written in batches of multi-row `insert ... on conflict do nothing`.
 * Orders: streamed and validated row by row (rejections keep their line numbers), converted to the base currency
 * in process, COPYed into a staging table, then applied in chunks of members, one transaction each, two at once
 * where COPY is served (history-apply.ts: each member's orders replayed in process, the rows written set-based): the same orders, ledger transfers, lots, balances and tier upgrades as recording the orders
 * one by one through recordOrder (then refundOrder for their refunds), or, with `earn: false`, the orders alone
 * (history for tiers and LTV, no points). A re-run inserts nothing new and reports the rows as already present.
 */

export type HistoryFile = 'members' | 'orders';

export interface RejectedRow { file: HistoryFile; line: number; reason: string }

export interface FileReport {
  /** Data rows read (the header not counted). */
  rows: number;
  inserted: number;
  alreadyPresent: number;
  rejected: number;
}

export interface ImportReport {
  members: FileReport;
  orders: FileReport;
  /** The rejected rows by file and line, up to MAX_LISTED_REJECTIONS (the counts above include all). */
  rejections: RejectedRow[];
  /** Tier upgrades the orders' replay made (member_tier_changes rows). */
  tierChanges: number;
}

/**
 * Reading a file (`read`: bytesRead of totalBytes, rows read so far), then, for orders, applying the staged rows
 * (`apply`: bytesRead and totalBytes count staged orders).
 */
export interface ImportProgress { file: HistoryFile; phase: 'read' | 'apply'; rows: number; bytesRead: number; totalBytes: number }

export interface ImportOptions {
  batchSize?: number;
  onProgress?: (progress: ImportProgress) => void;
  /** The import's clock: orders are recorded as of it. Times after it (plus the usual clock-skew tolerance) are rejected; empty joined_at means this. */
  now?: Date;
  /** Orders earn points as recordOrder would (default); false imports them as history only (no ledger rows, no tier replay). */
  earn?: boolean;
  /** COPY into the staging table where the server serves it (default: all but the embedded database); false uses multi-row inserts. */
  copy?: boolean;
  /** Staged orders applied per transaction (whole members; default DEFAULT_CHUNK_ORDERS). */
  chunkOrders?: number;
  /** Chunks applied at once, each on its own connection, where COPY is served (default APPLY_CONNECTIONS). */
  applyConnections?: number;
}

/** Where the time of the orders file went. */
export interface ImportTimings {
  /** Reading, validating and staging the orders. */
  stageMs?: number;
  stagedWith?: 'copy' | 'insert';
  /** Applying the staged orders (earn rules, ledger, tiers). */
  applyMs?: number;
  /** The apply's steps summed over its chunks (two chunks run at once: the sum can exceed applyMs); commit included. */
  applyPhasesMs?: Record<string, number>;
  /** Finding the chunks (whole members) in the staged rows. */
  chunkingMs?: number;
}

/** The settings the import reads from Config. */
export type HistoryImportConfig = Config;

export const DEFAULT_BATCH_SIZE = 1_000;
export const DEFAULT_CHUNK_ORDERS = 50_000;
/** Chunks applied at once (on as many connections) where COPY is served. */
export const APPLY_CONNECTIONS = 2;
/** Rejections listed in the report; beyond this only counted, so a wrong file cannot fill memory. */
export const MAX_LISTED_REJECTIONS = 10_000;

interface Parsed<T> { line: number; row: T }

const emptyReport = (): FileReport => ({ rows: 0, inserted: 0, alreadyPresent: 0, rejected: 0 });
const placeholders = (columns: number, rows: number): string =>
  Array.from({ length: rows }, () => `(${Array.from({ length: columns }, () => '?').join(', ')})`).join(', ');

/**
 * The one place members are written by the import (enrolment writes the same columns). A column added
 * to members (for example a generated referral code) is added here.
 */
/** `generateCode` is the referral code generator (a parameter so that a test can make codes collide). */
export async function insertMembers(tx: EntityManager, rows: MemberRow[], createdAt: Date, generateCode: () => string = newReferralCode): Promise<Set<string>> {
  const inserted = new Set<string>();
  let pending = rows;
  // A generated referral code can collide with an existing one (rarely, but a large import makes it likely once):
  // such a row is skipped like a known external id, so it gets a new code and another try.
  for (let attempt = 0; attempt < 3 && pending.length > 0; attempt++) {
    const values = pending.flatMap(({ enrollment, hash, joinedAt }) => [
      new Member().id, enrollment.externalId, enrollment.email, enrollment.country, enrollment.locale, enrollment.birthday,
      'ACTIVE', enrollment.acquisitionChannel, enrollment.acquisitionCost?.minor.toString() ?? null, enrollment.acquisitionCost?.currency ?? null,
      joinedAt, createdAt, hash, generateCode(),
    ]);
    // No conflict target: a known external_id and an email that belongs to another member are both skipped, then told apart.
    const rowsInserted = await tx.execute<{ external_id: string }[]>(
      `insert into members (id, external_id, email, country, locale, birthday, status, acquisition_channel, acquisition_cost_minor,
                            acquisition_cost_currency, joined_at, created_at, enrollment_hash, referral_code)
       values ${placeholders(14, pending.length)} on conflict do nothing returning external_id`,
      values,
    );
    for (const row of rowsInserted) inserted.add(row.external_id);
    const skipped = pending.filter((row) => !inserted.has(row.enrollment.externalId));
    if (skipped.length === 0) break;
    const taken = await tx.execute<{ external_id: string; email: string }[]>('select external_id, email from members where external_id in (?) or email in (?)', [
      skipped.map((row) => row.enrollment.externalId),
      skipped.map((row) => row.enrollment.email),
    ]);
    const takenIds = new Set(taken.map((row) => row.external_id));
    const takenEmails = new Set(taken.map((row) => row.email));
    pending = skipped.filter((row) => !takenIds.has(row.enrollment.externalId) && !takenEmails.has(row.enrollment.email));
  }
  return inserted;
}

export class HistoryImportService {
  private readonly batchSize: number;
  private readonly now: Date;
  private readonly earn: boolean;
  private readonly report: ImportReport = { members: emptyReport(), orders: emptyReport(), rejections: [], tierChanges: 0 };
  readonly timings: ImportTimings = {};

  constructor(
    /** A fresh EntityManager fork per batch comes from this one. */
    private readonly em: EntityManager,
    private readonly config: HistoryImportConfig,
    private readonly options: ImportOptions = {},
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.now = options.now ?? new Date();
    this.earn = options.earn ?? true;
  }

  /** Members first (orders refer to them), then orders. */
  async importFiles(membersPath: string, ordersPath: string): Promise<ImportReport> {
    await this.importMembers(membersPath);
    await this.importOrders(ordersPath);
    return this.result;
  }

  async importMembers(path: string): Promise<FileReport> {
    const seenIds = new Map<string, number>();
    const seenEmails = new Map<string, number>();
    await this.readInBatches(path, 'members', MEMBER_COLUMNS, (row, positions, line) => {
      const member = parseMemberRow(row, positions, this.now);
      const { externalId, email } = member.enrollment;
      const earlier = seenIds.get(externalId) ?? seenEmails.get(email);
      if (earlier !== undefined) {
        throw new RowRejection(seenIds.has(externalId) ? `duplicate external_id in the file (first on line ${earlier})` : `duplicate email in the file (first on line ${earlier})`);
      }
      seenIds.set(externalId, line);
      seenEmails.set(email, line);
      return member;
    }, (batch) => this.writeMembers(batch));
    return this.report.members;
  }

  async importOrders(path: string): Promise<FileReport> {
    const rates = await this.loadRates();
    const seenIds = new Map<string, number>();
    const importId = uuidv7();
    const staging = await openStaging(this.em, importId, { copy: this.options.copy ?? true });
    const { maxOrderMinor } = this.config;
    const timings: ImportTimings = this.timings;
    let started = performance.now();
    try {
      await this.readInBatches(path, 'orders', ORDER_COLUMNS, (row, positions, line): StagedOrder => {
        const order = parseOrderRow(row, positions, this.now);
        const earlier = seenIds.get(order.externalId);
        if (earlier !== undefined) throw new RowRejection(`duplicate external_id in the file (first on line ${earlier})`);
        const { rate, text } = rates.rateAt(order.amount.currency, order.placedAt);
        const base = toBaseCurrency(order.amount, this.config.baseCurrency, rate);
        validatedRow(() => orderWithinCapOrFail(order.amount, base, maxOrderMinor, rate));
        seenIds.set(order.externalId, line);
        return {
          line, externalId: order.externalId, memberExternalId: order.memberExternalId, amountMinor: order.amount.minor,
          currency: order.amount.currency, baseAmountMinor: base.minor, fxRate: text, placedAt: order.placedAt, refundedMinor: order.refundedMinor,
          refundHash: order.refundedMinor > 0n ? historyRefundHash(order) : null,
        };
      }, async (batch) => {
        await staging.write(batch.map((item) => item.row));
      });
      await staging.finish();
      timings.stageMs = performance.now() - started;
      timings.stagedWith = staging.method;
      seenIds.clear();

      started = performance.now();
      const chunks = await stagedChunks(this.em, importId, this.options.chunkOrders ?? DEFAULT_CHUNK_ORDERS);
      timings.chunkingMs = performance.now() - started;
      const phases: Record<string, number> = (timings.applyPhasesMs = {});
      const total = chunks.reduce((sum, chunk) => sum + chunk.orders, 0);
      const settings = await loadApplySettings(this.em.fork(), importId, this.now, this.config, this.earn);
      // Chunks hold disjoint members: two at once where COPY is served (PostgreSQL works on one while this process
      // replays the other); one at a time on the embedded database, whose socket serves every client from one session.
      const workers = staging.method === 'copy' ? Math.max(1, Math.min(this.options.applyConnections ?? APPLY_CONNECTIONS, chunks.length)) : 1;
      let next = 0;
      let done = 0;
      let failure: unknown;
      const work = async () => {
        while (failure === undefined && next < chunks.length) {
          const chunk = chunks[next++];
          try {
            const began = performance.now();
            const outcome = await this.applyChunk(settings, chunk);
            const took = performance.now() - began;
            const steps = Object.values(outcome.phases).reduce((sum, ms) => sum + ms, 0);
            for (const [name, ms] of Object.entries({ ...outcome.phases, commit: took - steps })) phases[name] = (phases[name] ?? 0) + ms;
            this.report.orders.inserted += outcome.inserted;
            this.report.orders.alreadyPresent += outcome.alreadyPresent;
            this.report.tierChanges += outcome.tierChanges;
            for (const rejection of outcome.rejected) this.reject('orders', rejection.line, rejection.reason);
            done += chunk.orders;
            this.options.onProgress?.({ file: 'orders', phase: 'apply', rows: done, bytesRead: done, totalBytes: total });
          } catch (error) {
            failure ??= error;
          }
        }
      };
      await Promise.all(Array.from({ length: workers }, work));
      if (failure !== undefined) throw failure;
      timings.applyMs = performance.now() - started;
    } catch (error) {
      await staging.abort();
      // The staged rows are dropped on the way out, but a failure to drop them must not hide why the import failed.
      await dropStaged(this.em, importId).catch(() => undefined);
      throw error;
    }
    await dropStaged(this.em, importId);
    return this.report.orders;
  }

  /**
   * One chunk in its own transaction. An order recorded through the API under one of the chunk's external ids after
   * the chunk was read (its COPY then fails on the unique external id), or a deadlock with another transaction,
   * rolls the chunk back; it is read and applied again (the order is then found present or rejected).
   */
  private async applyChunk(settings: Awaited<ReturnType<typeof loadApplySettings>>, chunk: ChunkRange): Promise<ChunkOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(this.em.fork(), (tx) => applyHistoryChunk(tx, settings, chunk));
      } catch (error) {
        const retry = isUniqueViolation(error, 'orders_external_id_unique') || (error as { code?: string }).code === '40P01';
        if (!retry || attempt >= 3) throw error;
      }
    }
  }

  /** The report so far, rejections sorted by file (members first) and line. */
  get result(): ImportReport {
    const order: Record<HistoryFile, number> = { members: 0, orders: 1 };
    this.report.rejections.sort((left, right) => order[left.file] - order[right.file] || left.line - right.line);
    return this.report;
  }

  private reject(file: HistoryFile, line: number, reason: string): void {
    this.report[file].rejected += 1;
    if (this.report.rejections.length < MAX_LISTED_REJECTIONS) this.report.rejections.push({ file, line, reason });
  }

  /** The whole rate history, once: conversion then happens in process, as FxService.rateAt would answer. */
  private async loadRates(): Promise<RateHistory> {
    // Epoch milliseconds: raw rows carry timestamps as text, and Date's parser is no place to trust with them.
    const rows = await this.em.fork().execute<{ currency: string; rate: string; effective_ms: string }[]>(
      'select currency, rate::text as rate, (extract(epoch from effective_at) * 1000)::bigint::text as effective_ms from exchange_rates',
    );
    return new RateHistory(this.config.baseCurrency, rows.map((row) => ({ currency: row.currency, rate: row.rate, effectiveAt: new Date(Number(row.effective_ms)) })));
  }

  /**
   * Streams `path` through csv-parse, validates each row with `parseRow` (a RowRejection rejects the
   * row with its line number) and hands full batches to `write`. Only one batch is held at a time.
   */
  private async readInBatches<T>(
    path: string,
    file: HistoryFile,
    columns: readonly string[],
    parseRow: (row: string[], positions: Map<string, number>, line: number) => T,
    write: (batch: Parsed<T>[]) => Promise<void>,
  ): Promise<void> {
    const totalBytes = (await stat(path)).size;
    const stream = createReadStream(path);
    const parser = stream.pipe(parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true }));
    const report = this.report[file];
    let positions: Map<string, number> | undefined;
    let batch: Parsed<T>[] = [];
    const progress = () => this.options.onProgress?.({ file, phase: 'read', rows: report.rows, bytesRead: stream.bytesRead, totalBytes });
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        if (!positions) {
          positions = columnPositions(record, columns, path);
          continue;
        }
        report.rows += 1;
        try {
          batch.push({ line: info.lines, row: parseRow(record, positions, info.lines) });
        } catch (error) {
          if (!(error instanceof RowRejection)) throw error;
          this.reject(file, info.lines, error.reason);
        }
        if (batch.length >= this.batchSize) {
          await write(batch);
          batch = [];
          progress();
        }
      }
    } catch (error) {
      stream.destroy();
      // csv-parse reports malformed CSV (an unclosed quote) with the line; the file cannot be read past it.
      if (error instanceof Error && 'code' in error && String(error.code).startsWith('CSV_')) throw new Error(`${path}: ${error.message}`);
      throw error;
    }
    if (!positions) throw new Error(`${path}: the file is empty; it needs a header row (${columns.join(',')})`);
    if (batch.length > 0) await write(batch);
    progress();
  }

  private async writeMembers(batch: Parsed<MemberRow>[]): Promise<void> {
    const outcomes = await this.em.fork().transactional(async (tx) => {
      const inserted = await insertMembers(tx, batch.map((item) => item.row), new Date());
      const skipped = batch.filter((item) => !inserted.has(item.row.enrollment.externalId));
      const existing = new Map<string, string>();
      if (skipped.length > 0) {
        const rows = await tx.execute<{ external_id: string; enrollment_hash: string }[]>(
          'select external_id, enrollment_hash from members where external_id in (?)',
          [skipped.map((item) => item.row.enrollment.externalId)],
        );
        for (const row of rows) existing.set(row.external_id, row.enrollment_hash);
      }
      return { inserted, existing };
    });
    for (const { line, row } of batch) {
      const externalId = row.enrollment.externalId;
      if (outcomes.inserted.has(externalId)) this.report.members.inserted += 1;
      else if (outcomes.existing.get(externalId) === row.hash) this.report.members.alreadyPresent += 1;
      else if (outcomes.existing.has(externalId)) this.reject('members', line, `external_id ${externalId} is already present with other data`);
      else this.reject('members', line, `email ${row.enrollment.email} already belongs to another member`);
    }
  }
}
