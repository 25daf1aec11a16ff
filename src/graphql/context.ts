import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../auth/principal';
import { Config, loadConfig } from '../config/config';
import { createLogger, Logger } from '../observability/logger';
import type { Services } from '../app/container';
import { MemberStatusLoader } from '../modules/status/member-status';
import { statusReadsOn } from '../modules/status/status-reads';
import { TierLoaders } from '../modules/tiers/tier.loaders';

/** Everything one request's work shares: its own EntityManager, its caller, its id. Services take it as their first argument. */
export interface RequestScope {
  em: EntityManager;
  principal?: Principal;
  /** Set when the request carried a bad token; raised before anything runs. */
  authenticationError?: Error;
  requestId: string;
  /** The HTTP client's address (Express req.ip), for per-client limits of anonymous callers. */
  clientIp?: string;
  config: Config;
  logger: Logger;
  /** When the request began (performance.now()), for its duration metric; when the context was made if not given. */
  startedAt?: number;
}

/** The request's DataLoaders: they batch the look-ups of one tick, so they live exactly as long as the request. */
export interface RequestLoaders {
  /** Every member look-up and status field of the request: one statement per tick. */
  readonly memberStatus: MemberStatusLoader;
  /** The ladder, perks by source and tier history. */
  readonly tierLoaders: TierLoaders;
}

/** A request scope with its member-status loader: what a service that looks members up is given. */
export type StatusScope = RequestScope & Pick<RequestLoaders, 'memberStatus'>;

/**
 * The GraphQL context: the request scope, the services (built once for the process, shared by every request) and
 * the request's loaders. Resolvers call `context.<service>.<method>(context, ...)`.
 */
export type RequestContext = RequestScope & Services & RequestLoaders;

/** A request scope whose EntityManager is forked on first use (a status read never needs one). */
export type ScopeInput = Omit<RequestScope, 'em'> & ({ em: EntityManager } | { orm: { em: EntityManager } });

/** The scope and loaders of one request. The EntityManager and the loaders are made on first use (the status query: the status loader only). */
class LazyRequestScope implements RequestScope, RequestLoaders {
  principal?: Principal;
  authenticationError?: Error;
  requestId: string;
  clientIp?: string;
  config: Config;
  logger: Logger;
  startedAt: number;
  private forked?: EntityManager;
  private statusLoader?: MemberStatusLoader;
  private tierLoader?: TierLoaders;

  constructor(private readonly input: ScopeInput) {
    this.principal = input.principal;
    this.authenticationError = input.authenticationError;
    this.requestId = input.requestId;
    this.clientIp = input.clientIp;
    this.config = input.config;
    this.logger = input.logger;
    this.startedAt = input.startedAt ?? performance.now();
  }

  get em(): EntityManager {
    this.forked ??= 'em' in this.input ? this.input.em : this.input.orm.em.fork();
    return this.forked;
  }

  // Reads outside any transaction: no request fork needed; on the pool, batched with other requests' (StatusReads).
  get memberStatus(): MemberStatusLoader {
    this.statusLoader ??= new MemberStatusLoader('em' in this.input ? this.input.em : statusReadsOn(this.input.orm.em, this.config), this.config);
    return this.statusLoader;
  }

  get tierLoaders(): TierLoaders {
    this.tierLoader ??= new TierLoaders(this.em);
    return this.tierLoader;
  }
}

/** The GraphQL context of one request: its scope and loaders, and the process's services. */
export function createRequestContext(scope: ScopeInput, services: Services): RequestContext {
  return Object.assign(new LazyRequestScope(scope), services);
}

/** The scope of work the system does for itself (seeds, jobs, imports): no caller, so nothing is audited. */
export function systemScope(em: EntityManager, requestId: string, config: Config = loadConfig(), logger: Logger = createLogger(config.logLevel)): RequestScope {
  return { em, requestId, config, logger };
}
