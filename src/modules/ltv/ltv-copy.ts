import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { EntityManager, PostgreSqlConnection } from '@mikro-orm/postgresql';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { EMBEDDED_APPLICATION_NAME } from '../../db/sql';

/*
 * COPY on the LTV run's own transaction connection (its temporary tables live there): the fitting rows stream out
 * with COPY ... TO STDOUT, the scored triplets stream in with COPY ... FROM STDIN (pg-copy-streams), a chunk at a
 * time, so the process never holds a result set of its own.
 *
 * The embedded PGlite database behind its socket does not serve COPY (the server answers "protocol
 * synchronization was lost" and closes the connection, taking the transaction with it), so the run asks
 * `copyServed` first and uses plain statements there.
 */

interface PgConnection {
  query(stream: Writable | Readable): Writable & Readable;
  connectionParameters?: { application_name?: string };
}

interface TransactionClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
}

/** The pg client of `tx`'s transaction (knex hands a transaction's own connection back, whatever the pool). */
async function transactionConnection(tx: EntityManager): Promise<{ connection: PgConnection; client: TransactionClient }> {
  const transaction = tx.getTransactionContext() as unknown as { client: TransactionClient } | undefined;
  if (!transaction) throw new Error('COPY for the LTV run needs its transaction');
  return { connection: await transaction.client.acquireConnection(), client: transaction.client };
}

/** A connection of the pool outside the run's transaction, with pg's numbered parameters. */
export interface SideConnection {
  query(text: string, values?: unknown[]): Promise<unknown>;
  release(): Promise<void>;
}

/**
 * A connection of the pool outside the run's transaction, for work beside it (the RFM's upper half); null on the
 * embedded database, whose one session serves every client, and when the pool has none to give. Release it when done.
 */
export async function sideConnection(tx: EntityManager): Promise<SideConnection | null> {
  const pool = (tx.getConnection() as PostgreSqlConnection).getKnex().client as unknown as TransactionClient;
  // A pool with none to spare (it waited the pool's acquire timeout): the work runs on the run's connection instead.
  const connection = (await pool.acquireConnection().catch(() => null)) as (PgConnection & { query(text: string, values?: unknown[]): Promise<unknown> }) | null;
  if (!connection) return null;
  if (connection.connectionParameters?.application_name === EMBEDDED_APPLICATION_NAME) {
    await pool.releaseConnection(connection);
    return null;
  }
  return { query: (text, values) => connection.query(text, values), release: async () => void (await pool.releaseConnection(connection)) };
}

/** False on the embedded database (no COPY through its socket). */
export async function copyServed(tx: EntityManager): Promise<boolean> {
  const { connection, client } = await transactionConnection(tx);
  try {
    return connection.connectionParameters?.application_name !== EMBEDDED_APPLICATION_NAME;
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * Runs `copy (<select>) to stdout` (text format) and hands each row's fields to `onRow`, in order. Only for values
 * that need no unescaping (numbers, uuids, plain words): COPY text escapes only backslashes and control characters.
 */
export async function copyRowsOut(tx: EntityManager, select: string, onRow: (fields: string[]) => void): Promise<number> {
  const { connection, client } = await transactionConnection(tx);
  try {
    const stream = connection.query(copyTo(`copy (${select}) to stdout`));
    let rest = '';
    let rows = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const text = rest + chunk.toString('utf8');
      let start = 0;
      for (let end = text.indexOf('\n', start); end >= 0; end = text.indexOf('\n', start)) {
        onRow(text.slice(start, end).split('\t'));
        rows++;
        start = end + 1;
      }
      rest = text.slice(start);
    }
    if (rest.length > 0) throw new Error('COPY TO ended inside a row');
    return rows;
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * Runs `copy <target> from stdin` (text format) and writes what `produce` hands to `write` (whole lines, each ending
 * in a newline), waiting whenever the connection's buffer is full. Resolves once the server has taken every row.
 */
export async function copyLinesIn(tx: EntityManager, target: string, produce: (write: (lines: string) => Promise<void>) => Promise<void>): Promise<void> {
  const { connection, client } = await transactionConnection(tx);
  try {
    const stream = connection.query(copyFrom(`copy ${target} from stdin`));
    let failure: Error | undefined;
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', () => resolve());
      stream.on('error', (error: Error) => {
        failure = error;
        reject(error);
      });
    });
    done.catch(() => undefined);
    try {
      await produce(async (lines) => {
        if (failure) throw failure;
        if (!stream.write(lines)) await Promise.race([once(stream, 'drain'), done]);
        if (failure) throw failure;
      });
    } catch (error) {
      stream.destroy(error as Error);
      await done.catch(() => undefined);
      throw error;
    }
    stream.end();
    await done;
  } finally {
    await client.releaseConnection(connection);
  }
}
