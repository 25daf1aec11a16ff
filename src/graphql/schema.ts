import 'reflect-metadata';
import path from 'node:path';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { MemberResolver } from '../modules/members/member.resolver';
import { LedgerResolver } from '../modules/ledger/ledger.resolver';
import { CheckoutResolver } from '../modules/checkout/checkout.resolver';
import { OrderResolver } from '../modules/orders/order.resolver';
import { EarningRuleResolver } from '../modules/orders/earning-rule.resolver';
import { OrderRefundsResolver } from '../modules/orders/order-refunds.resolver';
import { PointsCurrenciesResolver } from '../modules/programme/points-currencies.resolver';
import { MemberHoldsResolver } from '../modules/support/member-holds.resolver';
import { FxResolver } from '../modules/fx/fx.resolver';
import { MemberReferralsResolver, ReferralRefereeResolver, ReferralResolver } from '../modules/referrals/referral.resolver';
import { MemberRedemptionsResolver, RewardNameResolver, RewardResolver } from '../modules/rewards/reward.resolver';
import { MemberTierResolver, PerkResolver, TierResolver } from '../modules/tiers/tier.resolver';
import { EngagementByMonthResolver, GrowthResolver, RevenueByMonthResolver } from '../modules/analytics/growth.resolver';
import { PaymentsResolver } from '../modules/payments/payments.resolver';
import { LtvResolver } from '../modules/ltv/ltv.resolver';
import { PrivacyResolver } from '../modules/privacy/privacy.resolver';
import { WebhookResolver } from '../modules/webhooks/webhook.resolver';
import { PROJECT_ROOT } from '../db/paths';
import { authChecker } from './auth-checker';
import { scalarsMap } from './scalars';
import { retryMutationsOnConflict } from './mutation-retry';

export const SCHEMA_FILE = path.join(PROJECT_ROOT, 'schema.graphql');

export const resolvers = [
  MemberResolver,
  LedgerResolver,
  OrderResolver,
  EarningRuleResolver,
  OrderRefundsResolver,
  PointsCurrenciesResolver,
  MemberHoldsResolver,
  CheckoutResolver,
  FxResolver,
  TierResolver,
  PerkResolver,
  MemberTierResolver,
  ReferralResolver,
  MemberReferralsResolver,
  ReferralRefereeResolver,
  RewardResolver,
  RewardNameResolver,
  MemberRedemptionsResolver,
  PaymentsResolver,
  LtvResolver,
  GrowthResolver,
  RevenueByMonthResolver,
  EngagementByMonthResolver,
  PrivacyResolver,
  WebhookResolver,
] as const;

export async function buildGraphQLSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    authChecker,
    // Inputs are validated by the services (the same rules for every caller), not by class-validator here.
    validate: false,
    scalarsMap,
  });
  // Mutations whose transaction lost a serialization race or a deadlock run again (mutation-retry.ts).
  return retryMutationsOnConflict(schema);
}

/** The SDL committed as schema.graphql: sorted, so that it diffs cleanly. */
export function printSchemaFile(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
