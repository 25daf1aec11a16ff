import { GrowthActivityPair, GrowthCohortCell, GrowthMember, GrowthMemberMonth, GrowthMonthTotal } from '../modules/analytics/growth-rollups.entity';
import { MemberActivityDay } from '../modules/analytics/member-activity-day.entity';
import { AuditLog } from '../modules/audit/audit-log.entity';
import { PointsHold } from '../modules/checkout/points-hold.entity';
import { ExchangeRate } from '../modules/fx/exchange-rate.entity';
import { PointsAccount } from '../modules/ledger/points-account.entity';
import { PointsCurrency } from '../modules/ledger/points-currency.entity';
import { PointsLot } from '../modules/ledger/points-lot.entity';
import { PointsTransfer } from '../modules/ledger/points-transfer.entity';
import { Member } from '../modules/members/member.entity';
import { LtvRun } from '../modules/ltv/ltv-run.entity';
import { MemberLtv } from '../modules/ltv/member-ltv.entity';
import { EarningRule } from '../modules/orders/earning-rule.entity';
import { OrderRefund } from '../modules/orders/order-refund.entity';
import { Order } from '../modules/orders/order.entity';
import { MemberCardFingerprint } from '../modules/payments/card-fingerprint.entity';
import { MemberSighting } from '../modules/referrals/member-sighting.entity';
import { RateLimitCounter } from '../modules/referrals/rate-limit.entity';
import { Referral } from '../modules/referrals/referral.entity';
import { RewardRedemption } from '../modules/rewards/reward-redemption.entity';
import { Reward } from '../modules/rewards/reward.entity';
import { Perk, PerkGrant } from '../modules/tiers/perk.entity';
import { MemberTier, MemberTierChange, Tier } from '../modules/tiers/tier.entity';
import { StripeDispute } from '../modules/payments/stripe-dispute.entity';
import { StripeEvent } from '../modules/payments/stripe-event.entity';
import { PointsFreeze } from '../modules/ledger/points-freeze.entity';
import { LtvMemberRfm } from '../modules/ltv/ltv-member-rfm.entity';
import { HistoryImportOrder } from '../modules/import/history-import-order.entity';
import { MemberErasure } from '../modules/privacy/member-erasure.entity';
import { PointsExpiryNotice } from '../modules/webhooks/points-expiry-notice.entity';
import { WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint, WebhookEvent } from '../modules/webhooks/webhook.entity';

/** Every entity, listed explicitly: no folder scanning, same in TypeScript and compiled runs. */
export const entities = [Member, AuditLog, ExchangeRate, PointsCurrency, PointsAccount, PointsTransfer, PointsLot, PointsHold, Order, OrderRefund, EarningRule, MemberCardFingerprint,
  Tier, MemberTier, MemberTierChange, Perk, PerkGrant, Referral, MemberSighting, RateLimitCounter, Reward, RewardRedemption, PointsFreeze, HistoryImportOrder, StripeEvent, StripeDispute,
  LtvRun, MemberLtv, LtvMemberRfm, MemberActivityDay, GrowthMember, GrowthMemberMonth, GrowthMonthTotal, GrowthCohortCell, GrowthActivityPair,
  MemberErasure, WebhookEndpoint, WebhookEvent, WebhookDelivery, WebhookDeliveryAttempt, PointsExpiryNotice];
