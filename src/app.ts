import http from 'node:http';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { pinoHttp } from 'pino-http';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config/config';
import { TokenService } from './auth/tokens';
import type { Logger } from './observability/logger';
import { Metrics } from './observability/metrics';
import { checkReadiness } from './db/database';
import { buildGraphQLSchema } from './graphql/schema';
import { createRequestContext, RequestContext } from './graphql/context';
import { createServices, Services } from './app/container';
import { formatError } from './graphql/errors';
import { costLimitPlugin, formatByteLimit, LIMITS, limitValidationRules } from './graphql/limits';
import { observabilityPlugin } from './graphql/observability.plugin';
import { authenticationPlugin } from './graphql/authentication.plugin';
import { sendIfServiceUnavailable, serviceUnavailablePlugin } from './graphql/service-unavailable';
import { inputGuardPlugin } from './graphql/input-guard.plugin';
import { ActivityRecorder } from './modules/analytics/activity-recorder';
import { cohortCsvRoute } from './modules/analytics/cohort-csv.route';
import { consoleRoute } from './console.route';
import { stripeWebhookBodyParser, stripeWebhookHandler } from './modules/payments/stripe-webhook.route';
import { graphQLHttpHandler, isGraphQLPost } from './http/graphql-http';
import { jitGateway } from './graphql/jit-executor';
import proxyAddr from 'proxy-addr';

export interface AppDependencies {
  config: Config;
  orm: MikroORM;
  logger: Logger;
  /**
   * How POST /graphql reaches Apollo: 'lean' (the default: node:http straight into Apollo, src/http/graphql-http.ts)
   * or 'express' (Express, express.json and @as-integrations/express5, as every other route). The status bench
   * measures both.
   */
  graphqlPost?: 'lean' | 'express';
  /** The services every request shares; built here (createServices) when not given. */
  services?: Services;
}

export interface App {
  httpServer: http.Server;
  metrics: Metrics;
  /** Marks members active for the day (DAU/MAU). */
  activity: ActivityRecorder;
  /** The services, built once: every request's context holds these same objects. */
  services: Services;
  /** The GraphQL context of a request (its caller from the Authorization header), as the HTTP routes make it. */
  contextOf(request: http.IncomingMessage, requestId: string, clientIp?: string): Promise<RequestContext>;
  /** Starts listening; resolves with the bound port. */
  listen(port: number): Promise<number>;
  /** Stops accepting, lets in-flight requests finish, stops Apollo, finishes activity writes. Does not close the database. */
  stop(): Promise<void>;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

interface HttpError extends Error {
  status?: number;
  /** body-parser's limit in bytes, on a 413. */
  limit?: number;
}

/** Wiring only: the services (built once), HTTP routes, Apollo, per-request context. */
export async function createApp({ config, orm, logger, graphqlPost: graphqlPostPath = 'lean', services = createServices() }: AppDependencies): Promise<App> {
  const schema = await buildGraphQLSchema();
  const tokens = new TokenService(config.jwtSecret);
  const metrics = new Metrics();
  metrics.watchDatabasePool(orm);
  const activity = new ActivityRecorder(orm, logger);

  const app = express();
  app.disable('x-powered-by');
  // POST /graphql takes the lean path (src/http/graphql-http.ts); everything else, Express.
  let graphqlPost: (request: http.IncomingMessage, response: http.ServerResponse) => Promise<void> = async () => undefined;
  const httpServer = http.createServer((request, response) => {
    if (graphqlPostPath === 'lean' && isGraphQLPost(request)) void graphqlPost(request, response);
    else app(request, response);
  });

  const apollo = new ApolloServer<RequestContext>({
    // Operations run compiled by graphql-jit (src/graphql/jit-executor.ts).
    gateway: jitGateway(schema),
    introspection: !config.isProduction,
    allowBatchedHttpRequests: false,
    // main.ts owns SIGTERM/SIGINT: it stops HTTP, then closes the database, in that order.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    parseOptions: { maxTokens: LIMITS.tokens },
    validationRules: limitValidationRules,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // We do not use HTTP caching; the per-field cache-control plugin only costs throughput.
      ApolloServerPluginCacheControlDisabled(),
      config.isProduction ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
      authenticationPlugin,
      costLimitPlugin(schema),
      observabilityPlugin(metrics),
      serviceUnavailablePlugin,
      inputGuardPlugin,
    ],
  });
  await apollo.start();

  /** The GraphQL context of one request: its scope (caller, database session, id), the services and its loaders. */
  const contextOf = async (request: http.IncomingMessage, requestId: string, clientIp?: string): Promise<RequestContext> => {
    let principal;
    let authenticationError: Error | undefined;
    try {
      principal = await tokens.principalFromHeader(request.headers.authorization);
    } catch (error) {
      authenticationError = error as Error;
    }
    if (principal?.role === 'member') activity.touch(principal.subject);
    return createRequestContext({ orm, principal, authenticationError, requestId, clientIp, config, logger }, services);
  };
  const trustProxy = app.get('trust proxy fn') as (address: string, index: number) => boolean;
  graphqlPost = graphQLHttpHandler({
    apollo,
    logger,
    maxBodyBytes: LIMITS.bodyBytes,
    maxBodyText: LIMITS.body,
    context: (request, requestId) => contextOf(request, requestId, proxyAddr(request, trustProxy)),
  });

  app.use(
    pinoHttp({
      logger,
      // Never log bearer tokens or cookies; a request line with its id is enough to follow a request.
      serializers: {
        req: (request: { id: unknown; method: string; url: string }) => ({ id: request.id, method: request.method, url: request.url }),
        res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
      },
      genReqId(request, response) {
        const given = request.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        response.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (request) => request.url !== '/graphql' },
    }),
  );

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  app.get('/readyz', async (_request, response) => {
    const readiness = await checkReadiness(orm);
    response.status(readiness.ready ? 200 : 503).json({ status: readiness.ready ? 'ready' : 'not ready', reason: readiness.reason });
  });

  app.get('/metrics', async (_request, response) => {
    response.type(metrics.registry.contentType).send(await metrics.text());
  });

  app.use('/console', consoleRoute());
  app.get('/admin/cohorts.csv', cohortCsvRoute({ orm, tokens, config, growth: services.growth }));
  // Before any JSON parser: the signature is over the raw bytes.
  app.post('/webhooks/stripe', stripeWebhookBodyParser(), stripeWebhookHandler(orm, config, services.stripeWebhooks));

  app.use(
    '/graphql',
    express.json({ limit: LIMITS.body }),
    expressMiddleware(apollo, {
      context: ({ req }) => contextOf(req, String(req.id), req.ip),
    }),
  );

  // Body-parser failures (too large, malformed JSON) and anything else thrown outside GraphQL: JSON, no internals.
  app.use((error: HttpError, request: express.Request, response: express.Response, _next: express.NextFunction) => {
    if (sendIfServiceUnavailable(error, response)) return;
    const status = typeof error.status === 'number' && error.status >= 400 && error.status < 600 ? error.status : 500;
    if (status >= 500) request.log.error({ err: error }, 'unexpected HTTP error');
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
    // Each route has its own limit (64 kB for GraphQL, 1 MB for Stripe webhooks): name the one that refused.
    const limit = typeof error.limit === 'number' ? formatByteLimit(error.limit) : LIMITS.body;
    const message = status === 413 ? `request body larger than ${limit}` : status < 500 ? error.message : 'Internal server error';
    response.status(status).json({ errors: [{ message, extensions: { code } }] });
  });

  return {
    httpServer,
    metrics,
    activity,
    services,
    contextOf,
    listen(port) {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, () => {
          httpServer.off('error', reject);
          const address = httpServer.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      });
    },
    async stop() {
      await apollo.stop();
      await activity.drain();
    },
  };
}
