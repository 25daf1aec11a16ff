import { once } from 'node:events';
import type { EntityManager, PostgreSqlConnection } from '@mikro-orm/postgresql';
import { from as copyFrom } from 'pg-copy-streams';
import type { Writable } from 'node:stream';
import { EMBEDDED_APPLICATION_NAME } from '../../db/sql';
import { copyField } from './history-bulk';

/*
 * Loads validated history orders into history_import_orders (the staging table), tagged with the import's id:
 * COPY FROM STDIN through pg-copy-streams on PostgreSQL, multi-row inserts where COPY is not served (the embedded
 * PGlite database behind its socket). Rows arrive in batches; only one batch is held at a time.
 */

export interface StagedOrder {
  line: number;
  externalId: string;
  memberExternalId: string;
  amountMinor: bigint;
  currency: string;
  baseAmountMinor: bigint;
  fxRate: string;
  placedAt: Date;
  refundedMinor: bigint;
  /** refundOrder's request hash for the refund history:<external id> (null without a refund). */
  refundHash: string | null;
}

export const STAGING_COLUMNS = [
  'import_id', 'line', 'external_id', 'member_external_id', 'amount_minor', 'currency', 'base_amount_minor', 'fx_rate', 'placed_at', 'refunded_minor', 'refund_hash',
] as const;

export interface StagingWriter {
  readonly method: 'copy' | 'insert';
  write(rows: StagedOrder[]): Promise<void>;
  /** Ends the load (COPY completes here). */
  finish(): Promise<void>;
  /** Gives the connection back after a failure (the COPY is abandoned). */
  abort(): Promise<void>;
}

function copyLine(importId: string, row: StagedOrder): string {
  return [
    importId, String(row.line), copyField(row.externalId), copyField(row.memberExternalId), row.amountMinor.toString(), row.currency,
    row.baseAmountMinor.toString(), row.fxRate, row.placedAt.toISOString(), row.refundedMinor.toString(), copyField(row.refundHash),
  ].join('\t') + '\n';
}

interface PgClient {
  query(stream: unknown): Writable;
  query(sql: string): Promise<unknown>;
  connectionParameters?: { application_name?: string };
}

/**
 * A COPY into the staging table on a connection of its own from the pool, or null on the embedded database: its
 * socket server serves every client from one session and does not speak the COPY sub-protocol (a COPY FROM STDIN
 * there loses the connection).
 */
async function openCopy(em: EntityManager, importId: string): Promise<StagingWriter | null> {
  const knex = (em.getConnection() as PostgreSqlConnection).getKnex();
  const client = (await knex.client.acquireConnection()) as PgClient;
  if (client.connectionParameters?.application_name === EMBEDDED_APPLICATION_NAME) {
    await knex.client.releaseConnection(client);
    return null;
  }
  let released = false;
  const release = async (error?: boolean) => {
    if (released) return;
    released = true;
    // A connection left in the middle of a failed COPY is not given back for reuse.
    if (error) (client as unknown as { end(): Promise<void> }).end().catch(() => undefined);
    await knex.client.releaseConnection(client);
  };
  let stream: Writable;
  try {
    stream = client.query(copyFrom(`copy history_import_orders (${STAGING_COLUMNS.join(', ')}) from stdin`));
  } catch {
    await release(true);
    return null;
  }
  let failure: Error | undefined;
  stream.on('error', (error) => (failure = error));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', () => resolve());
    stream.on('error', reject);
  });
  done.catch(() => undefined);
  return {
    method: 'copy',
    async write(rows) {
      if (failure) throw failure;
      let text = '';
      for (const row of rows) text += copyLine(importId, row);
      if (!stream.write(text)) await Promise.race([once(stream, 'drain'), done]);
      if (failure) throw failure;
    },
    async finish() {
      stream.end();
      try {
        await done;
      } catch (error) {
        await release(true);
        throw error;
      }
      await release();
    },
    async abort() {
      if (released) return;
      stream.destroy();
      await release(true);
    },
  };
}

const INSERT_BATCH = 1_000;

/** Multi-row inserts (the fallback where COPY is not served). */
function openInserts(em: EntityManager, importId: string): StagingWriter {
  return {
    method: 'insert',
    async write(rows) {
      for (let start = 0; start < rows.length; start += INSERT_BATCH) {
        const batch = rows.slice(start, start + INSERT_BATCH);
        const placeholders = batch.map(() => `(${STAGING_COLUMNS.map(() => '?').join(', ')})`).join(', ');
        await em.fork().execute(
          `insert into history_import_orders (${STAGING_COLUMNS.join(', ')}) values ${placeholders}`,
          batch.flatMap((row) => [
            importId, row.line, row.externalId, row.memberExternalId, row.amountMinor.toString(), row.currency, row.baseAmountMinor.toString(),
            row.fxRate, row.placedAt, row.refundedMinor.toString(), row.refundHash,
          ]),
        );
      }
    },
    async finish() {},
    async abort() {},
  };
}

/** COPY where the server serves it (not the embedded database), unless `copy` is false. */
export async function openStaging(em: EntityManager, importId: string, options: { copy: boolean }): Promise<StagingWriter> {
  if (options.copy) {
    const writer = await openCopy(em, importId);
    if (writer) return writer;
  }
  return openInserts(em, importId);
}

/** Deletes one import's staged rows (after it, or after it failed). */
export async function dropStaged(em: EntityManager, importId: string): Promise<void> {
  await em.fork().execute('delete from history_import_orders where import_id = ?', [importId]);
}

/**
 * Ranges of member external ids holding about `chunkOrders` staged orders each (a member's orders are never split:
 * its replay needs them together), in the database's own collation.
 */
export async function stagedChunks(em: EntityManager, importId: string, chunkOrders: number): Promise<{ after: string | null; upTo: string; orders: number }[]> {
  const members = await em.fork().execute<{ member_external_id: string; orders: number }[]>(
    'select member_external_id, count(*)::int as orders from history_import_orders where import_id = ? group by member_external_id order by member_external_id',
    [importId],
  );
  const chunks: { after: string | null; upTo: string; orders: number }[] = [];
  let after: string | null = null;
  let orders = 0;
  for (let index = 0; index < members.length; index++) {
    orders += Number(members[index].orders);
    if (orders >= chunkOrders || index === members.length - 1) {
      chunks.push({ after, upTo: members[index].member_external_id, orders });
      after = members[index].member_external_id;
      orders = 0;
    }
  }
  return chunks;
}
