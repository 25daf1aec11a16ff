/**
 * The status bench's floor: the least any HTTP + PostgreSQL read can cost. Plain node:http and a pg Pool
 * (bench/bare-http.ts: body read, token verified), then ONE row read by primary key, as a named prepared statement,
 * from a table the bench fills with the exact answer body; the body goes out as it is stored.
 */
import { BareServer, BareServerOptions, NO_MEMBER_BODY, queryNamed, startBareHttpServer } from './bare-http';

/** The table the bench fills (bench/status.bench.ts): one row per member, the answer body as text. */
export const FLOOR_TABLE_DDL = 'create table if not exists bench_member_status (external_id text primary key, body text not null)';

export function startFloorServer(options: BareServerOptions): Promise<BareServer> {
  return startBareHttpServer(options, async (pool, externalId) => {
    const [row] = await queryNamed<{ body: string }>(pool, 'bench_floor_member_status', 'select body from bench_member_status where external_id = $1', [externalId]);
    return row?.body ?? NO_MEMBER_BODY;
  });
}
