/**
 * What the status bench's two baselines share: plain node:http, a pg Pool, the body read and parsed, the bearer
 * token verified with the same TokenService as Perkgraph, and only the member-status query served. Each baseline
 * gives the body for a member (by the token's subject); no GraphQL, no ORM, no framework.
 */
import http from 'node:http';
import { Pool, PoolClient, QueryResultRow } from 'pg';
import { TokenService } from '../src/auth/tokens';
import { UnauthenticatedError } from '../src/errors';
import { STATUS_QUERY } from './status-query';

/** The same body cap as Perkgraph's (LIMITS.body, 64 kB). */
const MAX_BODY_BYTES = 64 * 1024;

export interface BareServerOptions {
  connectionString: string;
  /** Use the ORM's pool size, so no server gets more database connections. */
  poolSize: number;
  jwtSecret: string;
}

export interface BareServer {
  port: number;
  close(): Promise<void>;
}

const connectionNumbers = new WeakMap<PoolClient, number>();
let connections = 0;

/**
 * Runs `text` as a named prepared statement on a connection of `pool` (prepared once per connection). The name
 * carries a number per connection, as the server's do (src/db/sql.ts): the embedded database serves every connection
 * from ONE session, where two connections preparing the same name would collide.
 */
export async function queryNamed<T extends QueryResultRow>(pool: Pool, name: string, text: string, values: unknown[]): Promise<T[]> {
  const client = await pool.connect();
  try {
    let number = connectionNumbers.get(client);
    if (number === undefined) connectionNumbers.set(client, (number = ++connections));
    return (await client.query<T>({ name: `${name}_${number}`, text, values })).rows;
  } finally {
    client.release();
  }
}

/** The answer when the caller is no member, or no member has its subject. */
export const NO_MEMBER_BODY = `${JSON.stringify({ data: { me: null } })}\n`;

/** The body of a JSON answer as Perkgraph writes it: compact, with a trailing newline. */
export function jsonBody(payload: unknown): string {
  return `${JSON.stringify(payload)}\n`;
}

/**
 * Serves POST /graphql with the member-status query on a free port: `answer(pool, externalId)` gives the whole
 * response body for the member the token names.
 */
export async function startBareHttpServer(
  { connectionString, poolSize, jwtSecret }: BareServerOptions,
  answer: (pool: Pool, externalId: string) => Promise<string>,
): Promise<BareServer> {
  const pool = new Pool({ connectionString, max: poolSize });
  // An idle connection the server closes (a restart, a dropped database) must not crash the process.
  pool.on('error', () => undefined);
  const tokens = new TokenService(jwtSecret);

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (request.method !== 'POST' || request.url !== '/graphql') return send(response, 404, jsonBody({ errors: [{ message: 'not found' }] }));
    let body: { query?: unknown };
    try {
      body = JSON.parse(await readBody(request)) as { query?: unknown };
    } catch {
      return send(response, 400, jsonBody({ errors: [{ message: 'body must be JSON' }] }));
    }
    // Not a GraphQL server: it knows this one query only.
    if (body.query !== STATUS_QUERY) return send(response, 400, jsonBody({ errors: [{ message: 'only the member-status query is served' }] }));
    try {
      const principal = await tokens.principalFromHeader(request.headers.authorization);
      send(response, 200, principal?.role === 'member' ? await answer(pool, principal.subject) : NO_MEMBER_BODY);
    } catch (error) {
      if (error instanceof UnauthenticatedError) return send(response, 401, jsonBody({ errors: [{ message: error.message }] }));
      send(response, 500, jsonBody({ errors: [{ message: 'internal error' }] }));
    }
  }

  const server = http.createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // a bench server: no need to let keep-alive clients finish
      await closed;
      await pool.end();
    },
  };
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: http.ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
