import { GrowthService } from '../modules/analytics/growth.service';
import { AuditTrailService } from '../modules/audit/audit-trail.service';
import { AuditService } from '../modules/audit/audit.service';
import { CheckoutService } from '../modules/checkout/checkout.service';
import { FxService } from '../modules/fx/fx.service';
import { AdjustmentService } from '../modules/ledger/adjustment.service';
import { BalanceService } from '../modules/ledger/balance.service';
import { PointsCurrencyAdmin } from '../modules/ledger/points-currency-admin';
import { LtvService } from '../modules/ltv/ltv.service';
import { MemberService } from '../modules/members/member.service';
import { EarningRuleService } from '../modules/orders/earning-rule.service';
import { OrderService } from '../modules/orders/order.service';
import { StripeCustomerService } from '../modules/payments/stripe-customer.service';
import { StripeWebhookService } from '../modules/payments/stripe-webhook.service';
import { EXPORT_PAGE_SIZE, MemberDataExportService } from '../modules/privacy/member-data-export.service';
import { MemberErasureService } from '../modules/privacy/member-erasure.service';
import { ReferralService } from '../modules/referrals/referral.service';
import { RewardService } from '../modules/rewards/reward.service';
import { PerkAdmin } from '../modules/tiers/perk.service';
import { TierAdmin } from '../modules/tiers/tier.service';
import { WebhookEndpointService } from '../modules/webhooks/webhook-endpoint.service';

/**
 * Every service of the programme, built once for the process. They are stateless: each method takes the request
 * scope (its EntityManager, caller, id, config and logger) as its first argument, and a service reaches another
 * only through its constructor. What belongs to one request (its EntityManager, its DataLoaders) lives in the scope
 * and the GraphQL context (src/graphql/context.ts), never here.
 */
export interface Services {
  audit: AuditService;
  auditTrail: AuditTrailService;
  members: MemberService;
  fx: FxService;
  balances: BalanceService;
  adjustments: AdjustmentService;
  pointsCurrencies: PointsCurrencyAdmin;
  checkout: CheckoutService;
  orders: OrderService;
  earningRules: EarningRuleService;
  tierAdmin: TierAdmin;
  perkAdmin: PerkAdmin;
  growth: GrowthService;
  referrals: ReferralService;
  rewards: RewardService;
  stripeCustomers: StripeCustomerService;
  stripeWebhooks: StripeWebhookService;
  ltv: LtvService;
  dataExport: MemberDataExportService;
  erasure: MemberErasureService;
  webhookEndpoints: WebhookEndpointService;
}

export interface ServiceOptions {
  /** Rows per page of a member data export (tests make it small to cross page boundaries). */
  exportPageSize?: number;
}

/** The composition root: builds each service once, wiring the ones that use others. */
export function createServices({ exportPageSize = EXPORT_PAGE_SIZE }: ServiceOptions = {}): Services {
  const audit = new AuditService();
  const members = new MemberService(audit);
  const fx = new FxService(audit);
  const orders = new OrderService(audit);
  return Object.freeze({
    audit,
    auditTrail: new AuditTrailService(),
    members,
    fx,
    balances: new BalanceService(),
    adjustments: new AdjustmentService(audit),
    pointsCurrencies: new PointsCurrencyAdmin(audit),
    checkout: new CheckoutService(members, fx),
    orders,
    earningRules: new EarningRuleService(audit),
    tierAdmin: new TierAdmin(audit),
    perkAdmin: new PerkAdmin(audit),
    growth: new GrowthService(),
    referrals: new ReferralService(members, audit),
    rewards: new RewardService(members, audit),
    stripeCustomers: new StripeCustomerService(members, audit),
    stripeWebhooks: new StripeWebhookService(orders),
    ltv: new LtvService(audit),
    dataExport: new MemberDataExportService(audit, exportPageSize),
    erasure: new MemberErasureService(audit),
    webhookEndpoints: new WebhookEndpointService(audit),
  });
}
