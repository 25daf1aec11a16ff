import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { EntityManager, PostgreSqlConnection } from '@mikro-orm/postgresql';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { EMBEDDED_APPLICATION_NAME } from '../../db/sql';

/*
 * COPY on the LTV run's own transaction connection (its working tables live in its transaction), and on the side
 * connection of the RFM's upper half (SideConnection.copyNumbersOut): the fitting rows stream out
 * with COPY ... TO STDOUT, the scored triplets stream in with COPY ... FROM STDIN (pg-copy-streams), a chunk at a
 * time, so the process never holds a result set of its own. Binary format: the values are numbers, and printing and
 * parsing them as text cost more than the statements (1.1 s of COPY for the 573k scored triplets at 1M members).
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

/**
 * Settings for the run's transaction only (and for the RFM's upper half on its side connection: rfm.ts). work_mem:
 * memory for each sort and hash of its statements (the RFM pass sorts the orders, the scoring hashes the scored
 * triplets, 573k at 1M members). No merge joins: the planner liked sorting every member by (x, t_x, T) to merge them
 * with the triplets, which costs a sort and hands member_ltv its rows in random key order; hashing the triplets
 * keeps the members in the order of ltv_rfm (by member id, as the RFM aggregate produced them), so the write-back
 * walks member_ltv's primary key in order. jit off: the statements are few and large, so the planner's costs call for
 * JIT compilation with inlining and optimisation, which took longer than it saved (1.5 s for the webhook
 * statement that finds no listener, measured at 100k members). maintenance_work_mem: member_ltv's primary key is
 * built with a parallel worker (0.32 s to 0.21 s at 1M members). No leader participation: in the statements run by
 * parallel workers the leader has its own work (writing every member's scores, finishing the grouped rows), and
 * doing the workers' share too on two cores slowed it (CREATE TABLE AS of the scores: 1.7-2.5 s against 1.6-1.7 s).
 */
export const RUN_SETTINGS = [
  "set local work_mem = '64MB'",
  'set local enable_mergejoin = off',
  'set local jit = off',
  "set local maintenance_work_mem = '256MB'",
  'set local parallel_leader_participation = off',
];

/**
 * Runs `work` with `setting` at `value` in the run's transaction, then puts it back to the session's value (SET LOCAL
 * ... = DEFAULT): for a setting that suits one step of the run and not the ones after it. A failure inside `work`
 * fails the transaction, which drops the setting with it.
 */
export async function withRunSetting<T>(tx: EntityManager, setting: string, value: string, work: () => Promise<T>): Promise<T> {
  await tx.execute(`set local ${setting} = ${value}`);
  const result = await work();
  await tx.execute(`set local ${setting} = default`);
  return result;
}

/** A connection of the pool outside the run's transaction, with pg's numbered parameters. */
export interface SideConnection {
  query(text: string, values?: unknown[]): Promise<unknown>;
  /** copyNumbersOut on this connection. */
  copyNumbersOut(select: string, types: CopyNumberType[], onRow: (values: number[]) => void): Promise<number>;
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
  return {
    query: (text, values) => connection.query(text, values),
    copyNumbersOut: (select, types, onRow) => readBinaryCopy(connection, select, types, onRow),
    release: async () => void (await pool.releaseConnection(connection)),
  };
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

/** The column types the run moves by binary COPY: numbers only. */
export type CopyNumberType = 'int4' | 'int8' | 'float8';

/** PGCOPY\n\377\r\n\0, then flags and header-extension length (both 0). */
const BINARY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);

/**
 * Runs `copy (<select>) to stdout` in binary format and hands each row's values, as numbers, to `onRow` (the array
 * is reused from row to row), in order. Every column must be one of `types` in order, and not null. Binary: no
 * number is printed by the server or parsed here (int8 values must stay within 2^53).
 */
export async function copyNumbersOut(tx: EntityManager, select: string, types: CopyNumberType[], onRow: (values: number[]) => void): Promise<number> {
  const { connection, client } = await transactionConnection(tx);
  try {
    return await readBinaryCopy(connection, select, types, onRow);
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * Rows of numbers of `select` on the run's transaction: binary COPY where served (`copy`), a plain statement on the
 * embedded database (its columns need distinct names there: they come back as an object per row).
 */
export async function readNumbers(tx: EntityManager, copy: boolean, select: string, types: CopyNumberType[], onRow: (values: number[]) => void): Promise<void> {
  if (copy) {
    await copyNumbersOut(tx, select, types, onRow);
    return;
  }
  const rows = await tx.execute<Record<string, unknown>[]>(select);
  for (const row of rows) onRow(Object.values(row).map(Number));
}

/** copyNumbersOut on a pg connection. */
async function readBinaryCopy(connection: PgConnection, select: string, types: CopyNumberType[], onRow: (values: number[]) => void): Promise<number> {
  const stream = connection.query(copyTo(`copy (${select}) to stdout with (format binary)`));
  const values = new Array<number>(types.length).fill(0);
  let pending: Buffer = Buffer.alloc(0);
  let headerRead = false;
  let ended = false;
  let rows = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buffer: Buffer = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    if (!headerRead) {
      if (buffer.length < BINARY_HEADER.length) {
        pending = buffer;
        continue;
      }
      at = BINARY_HEADER.length + buffer.readUInt32BE(BINARY_HEADER.length - 4);
      headerRead = true;
    }
    for (;;) {
      if (buffer.length - at < 2) break;
      const fields = buffer.readInt16BE(at);
      if (fields === -1) {
        ended = true;
        at += 2;
        break;
      }
      if (fields !== types.length) throw new Error(`COPY gave ${fields} columns, expected ${types.length}`);
      // The row is whole when every field's length and bytes are here.
      let end = at + 2;
      for (let k = 0; k < fields; k++) {
        if (buffer.length - end < 4) {
          end = -1;
          break;
        }
        const length = buffer.readInt32BE(end);
        if (length < 0) throw new Error(`COPY gave a null in column ${k + 1}`);
        end += 4 + length;
      }
      if (end < 0 || end > buffer.length) break;
      let field = at + 2;
      for (let k = 0; k < fields; k++) {
        const type = types[k];
        field += 4;
        values[k] = type === 'float8' ? buffer.readDoubleBE(field) : type === 'int4' ? buffer.readInt32BE(field) : Number(buffer.readBigInt64BE(field));
        field += type === 'int4' ? 4 : 8;
      }
      onRow(values);
      rows++;
      at = end;
    }
    pending = buffer.subarray(at);
  }
  if (!ended || pending.length > 0) throw new Error('COPY TO ended inside a row');
  return rows;
}

/** Binary COPY rows of numbers, built a batch at a time for copyNumbersIn. */
export class BinaryRows {
  private chunks: Buffer[] = [];
  private buffer = Buffer.allocUnsafe(1 << 20);
  private at = 0;

  /** Bytes per row: the field count, then each field's length and value. */
  private readonly rowSize: number;

  constructor(private readonly types: CopyNumberType[]) {
    this.rowSize = 2 + types.reduce((sum, type) => sum + 4 + (type === 'int4' ? 4 : 8), 0);
  }

  push(values: ArrayLike<number>): void {
    if (this.at + this.rowSize > this.buffer.length) this.flush();
    this.at = this.buffer.writeInt16BE(this.types.length, this.at);
    this.types.forEach((type, k) => {
      if (type === 'int4') {
        this.at = this.buffer.writeInt32BE(4, this.at);
        this.at = this.buffer.writeInt32BE(values[k], this.at);
      } else if (type === 'float8') {
        this.at = this.buffer.writeInt32BE(8, this.at);
        this.at = this.buffer.writeDoubleBE(values[k], this.at);
      } else {
        this.at = this.buffer.writeInt32BE(8, this.at);
        this.at = this.buffer.writeBigInt64BE(BigInt(values[k]), this.at);
      }
    });
  }

  /** The rows pushed since the last take. */
  take(): Buffer {
    this.flush();
    const taken = Buffer.concat(this.chunks);
    this.chunks = [];
    return taken;
  }

  private flush(): void {
    if (this.at === 0) return;
    this.chunks.push(Buffer.from(this.buffer.subarray(0, this.at)));
    this.at = 0;
  }
}

/**
 * Runs `copy <target> from stdin` in binary format and writes what `produce` hands to `write` (whole rows, from
 * BinaryRows), waiting whenever the connection's buffer is full. Resolves once the server has taken every row.
 */
export async function copyNumbersIn(tx: EntityManager, target: string, produce: (write: (rows: Buffer) => Promise<void>) => Promise<void>): Promise<void> {
  const { connection, client } = await transactionConnection(tx);
  try {
    const stream = connection.query(copyFrom(`copy ${target} from stdin with (format binary)`));
    let failure: Error | undefined;
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', () => resolve());
      stream.on('error', (error: Error) => {
        failure = error;
        reject(error);
      });
    });
    done.catch(() => undefined);
    const write = async (bytes: Buffer) => {
      if (failure) throw failure;
      if (!stream.write(bytes)) await Promise.race([once(stream, 'drain'), done]);
      if (failure) throw failure;
    };
    try {
      await write(BINARY_HEADER);
      await produce(write);
      await write(Buffer.from([0xff, 0xff]));
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
