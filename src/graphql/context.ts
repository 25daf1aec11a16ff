import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../auth/principal';
import { Config, loadConfig } from '../config/config';
import { createLogger, Logger } from '../observability/logger';
import { AuditService } from '../modules/audit/audit.service';
import { MemberLoaders } from '../modules/members/member.loaders';
import { MemberService } from '../modules/members/member.service';

/** Everything one request's services share: its own EntityManager, its caller, its id. */
export interface RequestScope {
  em: EntityManager;
  principal?: Principal;
  /** Set when the request carried a bad token; raised before anything runs. */
  authenticationError?: Error;
  requestId: string;
  config: Config;
  logger: Logger;
}

/** The GraphQL context: the request scope plus the per-request services and DataLoaders built on it. */
export interface RequestContext extends RequestScope {
  audit: AuditService;
  memberLoaders: MemberLoaders;
  members: MemberService;
}

export function createRequestContext(scope: RequestScope): RequestContext {
  const audit = new AuditService(scope);
  const memberLoaders = new MemberLoaders(scope.em);
  const members = new MemberService(scope, audit, memberLoaders);
  return { ...scope, audit, memberLoaders, members };
}

/** The scope of work the system does for itself (seeds, jobs, imports): no caller, so nothing is audited. */
export function systemScope(em: EntityManager, requestId: string, config: Config = loadConfig(), logger: Logger = createLogger(config.logLevel)): RequestScope {
  return { em, requestId, config, logger };
}
