import { MikroORM } from '@mikro-orm/postgresql';
import { createApp, App } from '../../src/app';
import { Config, loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/observability/logger';
import { Principal, Role } from '../../src/auth/principal';
import { TokenService } from '../../src/auth/tokens';
import { ormOptions } from '../../src/db/orm-config';
import { createTestDatabase, TestDatabase } from './database';

export const TEST_JWT_SECRET = 'test-secret-0123456789-0123456789-abcdef';

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[] };
}

export interface TestServer {
  url: string;
  orm: MikroORM;
  app: App;
  config: Config;
  database: TestDatabase;
  tokens: TokenService;
  /** A bearer token for a role; member tokens need the member's externalId as subject. */
  token(role: Role, subject?: string): Promise<string>;
  /** POSTs a GraphQL request; `as` is a principal, a raw token string, or nothing (anonymous). */
  graphql<T = any>(query: string, variables?: Record<string, unknown>, as?: Principal | string): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** Rewrites the database URL the server connects to (a proxy in front of it, for outage tests). */
  routeDatabase?: (url: string) => string | Promise<string>;
}

/** The real HTTP server on a fresh database, on a free port. */
export async function startTestServer(environment: Record<string, string> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', ...environment });
  const clientUrl = options.routeDatabase ? await options.routeDatabase(database.url) : database.url;
  const orm = await MikroORM.init(ormOptions({ clientUrl, poolSize: 4 }));
  const app = await createApp({ config, orm, logger: createLogger(config.logLevel) });
  const port = await app.listen(0);
  const url = `http://127.0.0.1:${port}`;
  const tokens = new TokenService(config.jwtSecret);
  const token = (role: Role, subject = `${role}-test`) => tokens.sign({ role, subject });
  let stopped = false;
  return {
    url,
    orm,
    app,
    config,
    database,
    tokens,
    token,
    async graphql(query, variables, as) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (as) headers.authorization = `Bearer ${typeof as === 'string' ? as : await tokens.sign(as)}`;
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse['body'] };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await app.stop();
      await orm.close(true);
      await database.drop();
    },
  };
}

/** The one error of a response, failing the test with the whole body when there is not exactly one. */
export function onlyError(response: GraphQLResponse): { message: string; extensions?: Record<string, any> } {
  if (response.body.errors?.length !== 1) throw new Error(`expected one error, got ${JSON.stringify(response.body)}`);
  return response.body.errors[0];
}
