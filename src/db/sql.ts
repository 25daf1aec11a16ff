import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A hot SQL statement, sent with parameters through the extended protocol and prepared once per connection under
 * its name (PostgreSQL parses and plans it once, not on every call). Placeholders are `?`, as everywhere else.
 * The same name must always carry the same text: build names from everything that varies the text.
 */
export interface NamedStatement {
  name: string;
  text: string;
}

export function namedStatement(name: string, text: string): NamedStatement {
  return { name, text };
}

interface RawQuery {
  options(options: { name: string }): Promise<{ rows: unknown[] }>;
}
interface KnexLike {
  raw(sql: string, bindings: readonly unknown[]): RawQuery;
}

/**
 * Runs `statement` on the EntityManager's connection: inside `em.transactional`, in that transaction; otherwise on a
 * pooled connection, as one statement (which PostgreSQL runs as its own transaction).
 */
export async function runNamed<T>(em: EntityManager, statement: NamedStatement, values: readonly unknown[]): Promise<T[]> {
  const knex = (em.getTransactionContext() ?? em.getKnex()) as unknown as KnexLike;
  const result = await knex.raw(statement.text, values).options({ name: statement.name });
  return result.rows as T[];
}
