import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../auth/principal';
import { Config, loadConfig } from '../config/config';
import { createLogger, Logger } from '../observability/logger';
import { AuditService } from '../modules/audit/audit.service';
import { MemberLoaders } from '../modules/members/member.loaders';
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
}

/** The GraphQL context: the request scope plus the per-request services and DataLoaders built on it. */
export interface RequestContext extends RequestScope {
  audit: AuditService;
  memberLoaders: MemberLoaders;
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

export function createRequestContext(scope: RequestScope): RequestContext {
  const audit = new AuditService(scope);
  const memberLoaders = new MemberLoaders(scope.em);
  const members = new MemberService(scope, audit, memberLoaders);
  const fx = new FxService(scope, audit);
  const balances = new BalanceService(scope.em);
  return {
    ...scope,
    audit,
    memberLoaders,
    members,
    fx,
    balances,
    adjustments: new AdjustmentService(scope, members, audit),
    checkout: new CheckoutService(scope, members, balances, fx),
    orders: new OrderService(scope, members, fx, audit),
    tierLoaders: new TierLoaders(scope.em, scope.config),
    tierAdmin: new TierAdmin(scope.em, scope.config),
    perkAdmin: new PerkAdmin(scope.em),
    growth: new GrowthService(scope.em, scope.config),
    referrals: new ReferralService(scope, members, audit),
    rewards: new RewardService(scope, members, audit),
    stripeCustomers: new StripeCustomerService(scope, members, audit),
    ltv: new LtvService(scope, audit, memberLoaders),
    auditTrail: new AuditTrailService(),
    dataExport: new MemberDataExportService(),
    erasure: new MemberErasureService(),
    webhookEndpoints: new WebhookEndpointService(),
  };
}

/** The scope of work the system does for itself (seeds, jobs, imports): no caller, so nothing is audited. */
export function systemScope(em: EntityManager, requestId: string, config: Config = loadConfig(), logger: Logger = createLogger(config.logLevel)): RequestScope {
  return { em, requestId, config, logger };
}
