import type { EntityManager } from '@mikro-orm/postgresql';
import { CopyStreamQuery, from as copyFrom } from 'pg-copy-streams';
import type { Writable } from 'node:stream';
import { EMBEDDED_APPLICATION_NAME } from '../../db/sql';

/*
 * Bulk writes on one connection of a transaction: COPY FROM STDIN (text format) where the server serves it, multi-row
 * INSERTs where it does not (the embedded PGlite database behind its socket). Values are text or null, as COPY reads
 * them; the column types parse them in both ways.
 */

export type Field = string | null;

/** The raw pg connection a transaction runs on. */
export interface RawConnection {
  query(config: { text: string; values?: unknown[]; rowMode?: 'array' }): Promise<{ rows: any[]; rowCount: number | null }>;
  query(stream: CopyStreamQuery): Writable;
  connectionParameters?: { application_name?: string };
}

interface KnexClient {
  acquireConnection(): Promise<RawConnection>;
  releaseConnection(connection: RawConnection): Promise<unknown>;
}

/** Runs `work` with the raw connection of the transaction `tx` (an em bound to a knex transaction: inTransaction). */
export async function withRawConnection<T>(tx: EntityManager, work: (connection: RawConnection) => Promise<T>): Promise<T> {
  const transaction = tx.getTransactionContext() as unknown as { client: KnexClient } | undefined;
  if (!transaction) throw new Error('withRawConnection needs a transaction');
  const connection = await transaction.client.acquireConnection();
  try {
    return await work(connection);
  } finally {
    await transaction.client.releaseConnection(connection);
  }
}

export const isEmbedded = (connection: RawConnection): boolean => connection.connectionParameters?.application_name === EMBEDDED_APPLICATION_NAME;

/** COPY text format: backslash, tab, newline and carriage return escaped; \N is NULL. */
export function copyField(value: Field): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : value;
}

/** Bytes of COPY text per buffer: a chunk's rows are held as bytes, not as strings the garbage collector must trace. */
const COPY_BUFFER_BYTES = 1 << 20;

/**
 * Rows of one table, accumulated as COPY text (and kept as values for the INSERT fallback). The text is written into
 * buffers as each row comes: a chunk's hundreds of thousands of rows would otherwise stay on the heap as millions of
 * small strings until the COPY (a fifth of the import's time went to the garbage collector copying them).
 */
export class BulkRows {
  private buffers: Buffer[] = [];
  private buffer: Buffer | null = null;
  private offset = 0;
  readonly rows: Field[][] = [];
  count = 0;

  private readonly free: boolean[];

  /** `freeText`: the columns whose values may hold any character (the others are never escaped: ids, numbers, times). */
  constructor(
    readonly table: string,
    readonly columns: readonly string[],
    private readonly keepValues: boolean,
    freeText: readonly string[] = [],
  ) {
    this.free = columns.map((column) => freeText.includes(column));
  }

  add(row: Field[]): void {
    this.count += 1;
    if (this.keepValues) {
      this.rows.push(row);
      return;
    }
    let line = '';
    for (let index = 0; index < row.length; index++) {
      const value = row[index];
      if (index > 0) line += '\t';
      line += value === null ? '\\N' : this.free[index] ? copyField(value) : value;
    }
    line += '\n';
    // At most 3 bytes of UTF-8 per UTF-16 unit.
    if (this.buffer === null || this.offset + line.length * 3 > this.buffer.length) {
      this.seal();
      this.buffer = Buffer.allocUnsafe(Math.max(COPY_BUFFER_BYTES, line.length * 3));
    }
    this.offset += this.buffer.write(line, this.offset);
  }

  private seal(): void {
    if (this.buffer !== null && this.offset > 0) this.buffers.push(this.buffer.subarray(0, this.offset));
    this.buffer = null;
    this.offset = 0;
  }

  /** Writes the rows (nothing when there are none). */
  async write(connection: RawConnection): Promise<void> {
    if (this.count === 0) return;
    if (this.keepValues) return insertRows(connection, this.table, this.columns, this.rows);
    this.seal();
    const stream = connection.query(copyFrom(`copy ${this.table} (${this.columns.join(', ')}) from stdin`));
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('finish', resolve);
      for (const piece of this.buffers) stream.write(piece);
      stream.end();
    });
    this.buffers = [];
  }
}

/** Multi-row INSERTs, within PostgreSQL's 65535 parameters. */
async function insertRows(connection: RawConnection, table: string, columns: readonly string[], rows: Field[][]): Promise<void> {
  const perStatement = Math.max(1, Math.floor(30_000 / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const batch = rows.slice(start, start + perStatement);
    let parameter = 0;
    const values = batch.map(() => `(${columns.map(() => `$${++parameter}`).join(', ')})`).join(', ');
    await connection.query({ text: `insert into ${table} (${columns.join(', ')}) values ${values}`, values: batch.flat() });
  }
}
