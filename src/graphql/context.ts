import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../auth/principal';
import { Config, loadConfig } from '../config/config';
import { createLogger, Logger } from '../observability/logger';
import { AuditService } from '../modules/audit/audit.service';
import { MemberStatusLoader } from '../modules/status/member-status';
import { MemberService } from '../modules/members/member.service';
import { FxService } from '../modules/fx/fx.service';
import { BalanceService } from '../modules/ledger/balance.service';
import { AdjustmentService } from '../modules/ledger/adjustment.service';
import { CheckoutService } from '../modules/checkout/checkout.service';
import { OrderService } from '../modules/orders/order.service';
import { TierLoaders } from '../modules/tiers/tier.loaders';
import { TierAdmin } from '../modules/tiers/tier.service';
import { PerkAdmin } from '../modules/tiers/perk.service';
import { GrowthService } from '../modules/analytics/growth.service';
import { ReferralService } from '../modules/referrals/referral.service';
import { RewardService } from '../modules/rewards/reward.service';
import { StripeCustomerService } from '../modules/payments/stripe-customer.service';
import { LtvService } from '../modules/ltv/ltv.service';
import { AuditTrailService } from '../modules/audit/audit-trail.service';
import { MemberDataExportService } from '../modules/privacy/member-data-export.service';
import { MemberErasureService } from '../modules/privacy/member-erasure.service';
import { WebhookEndpointService } from '../modules/webhooks/webhook-endpoint.service';

/** Everything one request's services share: its own EntityManager, its caller, its id. */
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

/** The GraphQL context: the request scope plus the per-request services and DataLoaders built on it. */
export interface RequestContext extends RequestScope {
  audit: AuditService;
  /** Every member look-up and status field of the request: one statement per tick. */
  memberStatus: MemberStatusLoader;
  members: MemberService;
  fx: FxService;
  balances: BalanceService;
  adjustments: AdjustmentService;
  checkout: CheckoutService;
  orders: OrderService;
  tierLoaders: TierLoaders;
  tierAdmin: TierAdmin;
  perkAdmin: PerkAdmin;
  growth: GrowthService;
  referrals: ReferralService;
  rewards: RewardService;
  stripeCustomers: StripeCustomerService;
  ltv: LtvService;
  auditTrail: AuditTrailService;
  dataExport: MemberDataExportService;
  erasure: MemberErasureService;
  webhookEndpoints: WebhookEndpointService;
}

/** A request scope whose EntityManager is forked on first use (a status read never needs one). */
export type ScopeInput = Omit<RequestScope, 'em'> & ({ em: EntityManager } | { orm: { em: EntityManager } });

/**
 * The GraphQL context of one request. Services and loaders are built on first use, so a request pays only for what
 * it touches (the member-status query: the status loader and nothing else).
 */
class LazyRequestContext implements RequestContext {
  principal?: Principal;
  authenticationError?: Error;
  requestId: string;
  clientIp?: string;
  config: Config;
  logger: Logger;
  startedAt: number;
  private forked?: EntityManager;
  private readonly built = new Map<string, unknown>();

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

  private once<T>(name: string, build: () => T): T {
    if (!this.built.has(name)) this.built.set(name, build());
    return this.built.get(name) as T;
  }

  get audit() { return this.once('audit', () => new AuditService(this)); }
  // Reads outside any transaction: no request fork needed.
  get memberStatus() { return this.once('memberStatus', () => new MemberStatusLoader('em' in this.input ? this.input.em : this.input.orm.em, this.config)); }
  get members() { return this.once('members', () => new MemberService(this, this.audit, this.memberStatus)); }
  get fx() { return this.once('fx', () => new FxService(this, this.audit)); }
  get balances() { return this.once('balances', () => new BalanceService(this.em)); }
  get adjustments() { return this.once('adjustments', () => new AdjustmentService(this, this.members, this.audit)); }
  get checkout() { return this.once('checkout', () => new CheckoutService(this, this.members, this.memberStatus, this.fx)); }
  get orders() { return this.once('orders', () => new OrderService(this, this.audit)); }
  get tierLoaders() { return this.once('tierLoaders', () => new TierLoaders(this.em)); }
  get tierAdmin() { return this.once('tierAdmin', () => new TierAdmin(this.em, this.config, this.audit)); }
  get perkAdmin() { return this.once('perkAdmin', () => new PerkAdmin(this.em, this.audit)); }
  get growth() { return this.once('growth', () => new GrowthService(this.em, this.config)); }
  get referrals() { return this.once('referrals', () => new ReferralService(this, this.members, this.audit)); }
  get rewards() { return this.once('rewards', () => new RewardService(this, this.members, this.audit)); }
  get stripeCustomers() { return this.once('stripeCustomers', () => new StripeCustomerService(this, this.members, this.audit)); }
  get ltv() { return this.once('ltv', () => new LtvService(this, this.audit, this.memberStatus)); }
  // Stateless services, built once for the process.
  get auditTrail() { return STATELESS.auditTrail; }
  get dataExport() { return STATELESS.dataExport; }
  get erasure() { return STATELESS.erasure; }
  get webhookEndpoints() { return STATELESS.webhookEndpoints; }
}

const STATELESS = {
  auditTrail: new AuditTrailService(),
  dataExport: new MemberDataExportService(),
  erasure: new MemberErasureService(),
  webhookEndpoints: new WebhookEndpointService(),
};

export function createRequestContext(scope: ScopeInput): RequestContext {
  return new LazyRequestContext(scope);
}

/** The scope of work the system does for itself (seeds, jobs, imports): no caller, so nothing is audited. */
export function systemScope(em: EntityManager, requestId: string, config: Config = loadConfig(), logger: Logger = createLogger(config.logLevel)): RequestScope {
  return { em, requestId, config, logger };
}
