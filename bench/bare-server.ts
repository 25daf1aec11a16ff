/**
 * The status bench's baseline: the least a server can do to answer the member-status query correctly.
 * Plain node:http and a pg Pool; it reads and parses the body, verifies the bearer token with the same
 * TokenService as Perkgraph, runs ONE SQL query and writes the same JSON. No GraphQL, no ORM, no framework.
 * What Perkgraph costs beyond this is the price of its stack.
 */
import http from 'node:http';
import { Pool } from 'pg';
import { TokenService } from '../src/auth/tokens';
import { UnauthenticatedError } from '../src/errors';
import { STATUS_QUERY } from './status-query';

/** The same body cap as Perkgraph's express.json (LIMITS.body, 64 kB). */
const MAX_BODY_BYTES = 64 * 1024;

interface MemberStatus {
  id: string;
  tier: { code: string };
  balance: { posted: number; held: number; available: number };
  supportPriority: string;
}

const SUPPORT_PRIORITIES = ['STANDARD', 'PRIORITY', 'DEDICATED'];

export interface BareServerOptions {
  connectionString: string;
  /** Use the ORM's pool size, so neither server gets more database connections. */
  poolSize: number;
  jwtSecret: string;
}

export interface BareServer {
  port: number;
  close(): Promise<void>;
}

export async function startBareServer({ connectionString, poolSize, jwtSecret }: BareServerOptions): Promise<BareServer> {
  const pool = new Pool({ connectionString, max: poolSize });
  // An idle connection the server closes (a restart, a dropped database) must not crash the process.
  pool.on('error', () => undefined);
  const tokens = new TokenService(jwtSecret);

  /** Answers `me` for the caller: the member's fields, or null when the caller is no member. */
  async function me(authorization: string | undefined): Promise<MemberStatus | null> {
    const principal = await tokens.principalFromHeader(authorization);
    if (principal?.role !== 'member') return null;
    // One query: the balance (held points, as in Perkgraph, leave out HELD holds past their expiry), the tier
    // (the lowest when none is stored) and the highest support priority its tier's and LTV tier's perks grant.
    const { rows } = await pool.query<{ id: string; posted: number; held: number; tier: string; priority: number }>(
      `with m as (
         select m.id, coalesce(mt.tier_code, (select code from tiers order by rank limit 1)) as tier, ml.tier as ltv_tier
         from members m left join member_tiers mt on mt.member_id = m.id left join member_ltv ml on ml.member_id = m.id
         where m.external_id = $1
       )
       select m.id, m.tier, coalesce(a.posted, 0)::int as posted,
              coalesce(a.held - (select coalesce(sum(h.points), 0) from points_holds h
                                 where h.account_id = a.id and h.status = 'HELD' and h.expires_at <= now()), 0)::int as held,
              coalesce((select max(case p.support_priority when 'DEDICATED' then 2 when 'PRIORITY' then 1 else 0 end)
                        from perk_grants g join perks p on p.code = g.perk_code
                        where (g.source_kind = 'TIER' and g.source_code = m.tier) or (g.source_kind = 'LTV' and g.source_code = m.ltv_tier)), 0) as priority
       from m left join points_accounts a on a.member_id = m.id and a.currency = 'PTS'`,
      [principal.subject],
    );
    const row = rows[0];
    return row
      ? {
          id: row.id,
          tier: { code: row.tier },
          balance: { posted: row.posted, held: row.held, available: row.posted - row.held },
          supportPriority: SUPPORT_PRIORITIES[row.priority],
        }
      : null;
  }

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (request.method !== 'POST' || request.url !== '/graphql') return send(response, 404, { errors: [{ message: 'not found' }] });
    let body: { query?: unknown };
    try {
      body = JSON.parse(await readBody(request)) as { query?: unknown };
    } catch {
      return send(response, 400, { errors: [{ message: 'body must be JSON' }] });
    }
    // Not a GraphQL server: it knows this one query only.
    if (body.query !== STATUS_QUERY) return send(response, 400, { errors: [{ message: 'only the member-status query is served' }] });
    try {
      send(response, 200, { data: { me: await me(request.headers.authorization) } });
    } catch (error) {
      if (error instanceof UnauthenticatedError) return send(response, 401, { errors: [{ message: error.message }] });
      send(response, 500, { errors: [{ message: 'internal error' }] });
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

function send(response: http.ServerResponse, status: number, payload: unknown): void {
  // A trailing newline like Apollo Server, so both servers answer with the same bytes.
  const text = `${JSON.stringify(payload)}\n`;
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
