import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A hot SQL statement, sent with parameters through the extended protocol and prepared once per connection under
 * its name (PostgreSQL parses and plans it once, not on every call). Placeholders are `?`, as everywhere else;
 * `?` inside the text must be a placeholder.
 * The same name must always carry the same text: build names from everything that varies the text.
 */
export interface NamedStatement {
  name: string;
  /** With `?` placeholders (for the query builder inside a transaction). */
  text: string;
  /** With `$1, $2, ...` placeholders (for a pooled connection directly). */
  numbered: string;
}

export function namedStatement(name: string, text: string): NamedStatement {
  let index = 0;
  return { name, text, numbered: text.replace(/\?/g, () => `$${++index}`) };
}

interface PgConnection {
  query(config: { name: string; text: string; values: readonly unknown[] }): Promise<{ rows: unknown[] }>;
}
interface KnexLike {
  raw(sql: string, bindings: readonly unknown[]): { options(options: { name: string }): Promise<{ rows: unknown[] }> };
  client: { acquireConnection(): Promise<PgConnection>; releaseConnection(connection: PgConnection): Promise<unknown> };
}

/**
 * Runs `statement` on the EntityManager's connections: inside `em.transactional`, in that transaction; otherwise on a
 * connection of the same pool, as one statement (which PostgreSQL runs as its own transaction). Values are sent as
 * they are: an array is one array parameter (the query builder would spread it into a list).
 */
export async function runNamed<T>(em: EntityManager, statement: NamedStatement, values: readonly unknown[]): Promise<T[]> {
  const transaction = em.getTransactionContext() as unknown as KnexLike | undefined;
  if (transaction) return (await transaction.raw(statement.text, values).options({ name: statement.name })).rows as T[];
  const { client } = em.getKnex() as unknown as KnexLike;
  const connection = await client.acquireConnection();
  try {
    return (await connection.query({ name: statement.name, text: statement.numbered, values })).rows as T[];
  } finally {
    await client.releaseConnection(connection);
  }
}
