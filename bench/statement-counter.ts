/**
 * In a bench server child: counts every SQL statement this process sends to PostgreSQL, at the pg driver, whatever
 * sends it (the ORM, knex raw in a transaction, named statements on pooled connections, the bare servers' pools).
 * BEGIN, COMMIT, ROLLBACK and savepoints are not counted: they are transaction framing, not work.
 * A small HTTP server on a free port answers the count (GET /), and for one operation at a time the statements
 * themselves: POST /log starts a fresh log, GET /log answers the statements logged since (and stops logging).
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import pg from 'pg';

const FRAMING = /^\s*(begin|start\s+transaction|commit|end|rollback|savepoint|release)\b/i;

export interface LoggedStatement {
  /** The prepared statement's name, when it was sent as one. */
  name?: string;
  text: string;
  values?: unknown[];
  /** BEGIN, COMMIT, ROLLBACK or a savepoint: logged to show the transactions, not counted. */
  framing?: boolean;
}

let statements = 0;
let log: LoggedStatement[] | undefined;
let installed = false;

/** The SQL text (and name and values) of a pg `query` call's arguments; undefined for what carries no text. */
function statementOf(args: unknown[]): LoggedStatement | undefined {
  const [first, second] = args;
  if (typeof first === 'string') return { text: first, values: Array.isArray(second) ? second : undefined };
  if (first && typeof first === 'object' && typeof (first as { text?: unknown }).text === 'string') {
    const config = first as { text: string; name?: string; values?: unknown[] };
    return { text: config.text, name: config.name, values: config.values ?? (Array.isArray(second) ? second : undefined) };
  }
  return undefined;
}

/**
 * Every copy of the pg driver the server may load: ours (which knex loads too) and the one @mikro-orm/postgresql
 * ships in its own node_modules (when npm did not hoist it).
 */
function pgDrivers(): (typeof pg)[] {
  const drivers = new Set<typeof pg>([pg]);
  try {
    drivers.add(createRequire(require.resolve('@mikro-orm/postgresql'))('pg') as typeof pg);
  } catch {
    // no separate copy
  }
  return [...drivers];
}

/** Wraps Client.prototype.query of every pg copy once, before any connection is made. */
export function countStatements(): void {
  if (installed) return;
  installed = true;
  for (const driver of pgDrivers()) {
    const prototype = driver.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = prototype.query;
    prototype.query = function countedQuery(this: unknown, ...args: unknown[]) {
      const statement = statementOf(args);
      const framing = statement !== undefined && FRAMING.test(statement.text);
      if (!framing) statements += 1;
      if (log && statement) log.push(framing ? { ...statement, framing } : statement);
      return original.apply(this, args);
    };
  }
}

/** Serves the count and the log on a free port on 127.0.0.1; resolves with the port and a close function. */
export async function serveStatementCount(): Promise<{ port: number; close(): void }> {
  const server = http.createServer((request, response) => {
    let body: unknown;
    if (request.url === '/log' && request.method === 'POST') {
      log = [];
      body = { logging: true };
    } else if (request.url === '/log') {
      body = { statements: log ?? [] };
      log = undefined;
    } else {
      body = { statements };
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

/** In the bench (parent): how many statements the child has counted so far. */
export async function statementCount(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  return ((await response.json()) as { statements: number }).statements;
}

/** In the bench (parent): runs `operation` and answers the statements the child sent meanwhile, framing marked. */
export async function loggedStatements(port: number, operation: () => Promise<void>): Promise<LoggedStatement[]> {
  await fetch(`http://127.0.0.1:${port}/log`, { method: 'POST' });
  await operation();
  const response = await fetch(`http://127.0.0.1:${port}/log`);
  return ((await response.json()) as { statements: LoggedStatement[] }).statements;
}
