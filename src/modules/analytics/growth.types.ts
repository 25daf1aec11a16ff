import { Field, Float, Int, ObjectType } from 'type-graphql';
import { MoneyView } from '../../graphql/money.types';
import type { MoneyRatioParts, RatioParts, ValueRatioParts } from './growth-math';
import type { GrowthQuery } from './growth.service';

@ObjectType('Ratio', { description: 'numerator / denominator, with both parts so that a reader can check it.' })
export class RatioView {
  @Field(() => Float, { nullable: true, description: 'numerator / denominator; null when the denominator is 0.' })
  value!: number | null;

  @Field(() => Float, { description: 'A whole number (a Float so that large counts fit).' })
  numerator!: number;

  @Field(() => Float, { description: 'A whole number (a Float so that large counts fit).' })
  denominator!: number;

  static of(parts: RatioParts): RatioView {
    return Object.assign(new RatioView(), parts);
  }
}

@ObjectType('MoneyRatio', { description: 'A base-currency amount per count, with both parts.' })
export class MoneyRatioView {
  @Field(() => MoneyView, { nullable: true, description: 'numerator / denominator, rounded down to a minor unit; null when the denominator is 0.' })
  value!: MoneyView | null;

  @Field(() => MoneyView, { description: 'The amount divided.' })
  numerator!: MoneyView;

  @Field(() => Float, { description: 'The count it is divided by: a whole number (a Float so that large counts fit).' })
  denominator!: number;

  static of(parts: MoneyRatioParts, currency: string): MoneyRatioView {
    return Object.assign(new MoneyRatioView(), {
      value: parts.valueMinor === null ? null : MoneyView.of({ minor: parts.valueMinor, currency }),
      numerator: MoneyView.of({ minor: parts.numeratorMinor, currency }),
      denominator: parts.denominator,
    });
  }
}

@ObjectType('ValueRatio', { description: 'A base-currency amount over another (such as LTV:CAC), with both parts.' })
export class ValueRatioView {
  @Field(() => Float, { nullable: true, description: 'numerator / denominator; null when the denominator is 0.' })
  value!: number | null;

  @Field(() => MoneyView, { description: 'The amount divided.' })
  numerator!: MoneyView;

  @Field(() => MoneyView, { description: 'The amount it is divided by.' })
  denominator!: MoneyView;

  static of(parts: ValueRatioParts, currency: string): ValueRatioView {
    return Object.assign(new ValueRatioView(), {
      value: parts.value,
      numerator: MoneyView.of({ minor: parts.numeratorMinor, currency }),
      denominator: MoneyView.of({ minor: parts.denominatorMinor, currency }),
    });
  }
}

@ObjectType('ChannelAcquisition', { description: 'New members of one acquisition channel in the period.' })
export class ChannelAcquisitionView {
  @Field(() => String, { nullable: true, description: 'Members.acquisitionChannel; null for members enrolled without one.' })
  channel!: string | null;

  @Field(() => Int, { description: 'Members who joined in the period through this channel.' })
  newMembers!: number;

  @Field(() => MoneyView, { description: "Sum of their acquisition costs in the base currency, each converted at the rate in force when the member joined (rounded down); members without a cost count 0." })
  acquisitionCost!: MoneyView;

  @Field(() => MoneyRatioView, { description: 'CAC: acquisitionCost / newMembers.' })
  cac!: MoneyRatioView;
}

@ObjectType('AcquisitionMetrics')
export class AcquisitionMetricsView {
  @Field(() => Int, { description: 'Members who joined in the period.' })
  newMembers!: number;

  @Field(() => MoneyView, { description: 'Sum of the acquisition costs of the new members, in the base currency at the rate in force when each joined (rounded down).' })
  acquisitionCost!: MoneyView;

  @Field(() => MoneyRatioView, { description: 'CAC over all channels: acquisitionCost / newMembers.' })
  cac!: MoneyRatioView;

  @Field(() => [ChannelAcquisitionView], { description: 'New members and CAC per acquisition channel (channels with new members in the period).' })
  byChannel!: ChannelAcquisitionView[];

  @Field(() => RatioView, { description: 'Overseas share: new members whose country is not homeMarket / new members.' })
  overseasShare!: RatioView;

  @Field({ description: 'The home market (HOME_MARKET setting, ISO 3166-1 alpha-2).' })
  homeMarket!: string;

  @Field(() => Int, { description: 'New members whose acquisition cost has no exchange rate at or before their join time: their cost is left out of acquisitionCost and CAC.' })
  costsWithoutRate!: number;
}

@ObjectType('ActivationMetrics')
export class ActivationMetricsView {
  @Field(() => Int, { description: 'Members who joined in the period.' })
  newMembers!: number;

  @Field(() => RatioView, { description: 'New members whose first order (placed before `to`) came less than 7 days after joining / new members.' })
  firstOrderWithin7Days!: RatioView;

  @Field(() => RatioView, { description: 'New members whose first order (placed before `to`) came less than 30 days after joining / new members.' })
  firstOrderWithin30Days!: RatioView;

  @Field(() => Float, {
    nullable: true,
    description: 'Median, over new members with an order before `to`, of the whole days from joining to the first order (an order before joining counts 0); null when none ordered.',
  })
  medianDaysToFirstOrder!: number | null;
}

@ObjectType('CohortRetention', { description: 'The members who joined in one calendar month (UTC).' })
export class CohortRetentionView {
  @Field({ description: 'The join month, YYYY-MM.' })
  month!: string;

  @Field(() => Int, { description: 'Members who joined in that month (and in the period).' })
  members!: number;

  @Field(() => [RatioView], {
    description: 'Cell n (from 0, the join month, up to the month that contains `to`): members of the cohort with an order in month n after joining / cohort members.',
  })
  retention!: RatioView[];
}

@ObjectType('RetentionMetrics')
export class RetentionMetricsView {
  @Field(() => [CohortRetentionView], { description: 'Monthly cohorts of the members who joined in the period, oldest first.' })
  cohorts!: CohortRetentionView[];

  @Field(() => RatioView, { description: 'Repeat purchase rate: members with 2 or more orders in the period / members with 1 or more.' })
  repeatPurchaseRate!: RatioView;

  @Field(() => RatioView, {
    description: 'Churn rate: members with an order in the previous period (of the same length, ending at `from`) and none in this one / members with an order in the previous period.',
  })
  churnRate!: RatioView;

  @Field({ description: 'Start of the previous period the churn rate compares with (it ends at `from`).' })
  previousPeriodFrom!: Date;
}

@ObjectType('MonthlyRevenue', { description: "One UTC month's part of the period, with the revenue section's definitions." })
export class MonthlyRevenueView {
  @Field({ description: 'The month, YYYY-MM (UTC).' })
  month!: string;

  @Field({ description: 'Start of the part of the period in this month (the month start, or `from`).' })
  from!: Date;

  @Field({ description: 'End of the part of the period in this month, excluded (the next month start, or `to`).' })
  to!: Date;

  @Field(() => Int, { description: 'Orders placed in that part (including refunded ones).' })
  orders!: number;

  @Field(() => MoneyView, { description: 'GMV of those orders, before refunds.' })
  gmv!: MoneyView;

  @Field(() => MoneyView, { description: 'Net revenue of those orders: GMV less refunds recorded to date.' })
  netRevenue!: MoneyView;
}

@ObjectType('MonthlyEngagement', {
  description: "One UTC month's part of the period as a period of its own, with the engagement section's definitions: DAU over its days, MAU over the 30 days before its end.",
})
export class MonthlyEngagementView {
  @Field({ description: 'The month, YYYY-MM (UTC).' })
  month!: string;

  @Field({ description: 'Start of the part of the period in this month (the month start, or `from`).' })
  from!: Date;

  @Field({ description: 'End of the part of the period in this month, excluded (the next month start, or `to`).' })
  to!: Date;

  @Field(() => RatioView, { description: 'DAU: member-days / days, over the UTC days that start in this part.' })
  dau!: RatioView;

  @Field(() => Int, { description: 'MAU: distinct members active on the 30 UTC days before the end of this part.' })
  mau!: number;

  @Field(() => RatioView, { description: 'DAU / MAU: member-days / (days x MAU).' })
  dauMau!: RatioView;
}

@ObjectType('RevenueMetrics')
export class RevenueMetricsView {
  /** Not a GraphQL field: the period byMonth splits. */
  query!: GrowthQuery;

  @Field(() => Int, { description: 'Orders placed in the period (including refunded ones).' })
  orders!: number;

  @Field(() => MoneyView, { description: 'GMV: the base-currency amounts of the orders placed in the period, before refunds.' })
  gmv!: MoneyView;

  @Field(() => MoneyView, { description: 'Net revenue: GMV less refunds recorded to date; each order counts floor(base amount x unrefunded share).' })
  netRevenue!: MoneyView;

  @Field(() => MoneyRatioView, { description: 'AOV: netRevenue / orders.' })
  aov!: MoneyRatioView;

  @Field(() => MoneyRatioView, { description: 'Revenue per member: netRevenue / members who joined before `to`.' })
  revenuePerMember!: MoneyRatioView;

  @Field(() => RatioView, {
    description: 'High-value share: members whose net spend in the 12 months before `to` is above highValueThreshold / members with an order in those 12 months.',
  })
  highValueShare!: RatioView;

  @Field(() => MoneyView, { description: 'The HIGH_VALUE_THRESHOLD setting, in the base currency.' })
  highValueThreshold!: MoneyView;
}

@ObjectType('ReferralMetrics', { description: 'Referrals of the members who joined in the period (the referee is the member the filters apply to), as of `to`.' })
export class ReferralMetricsView {
  @Field(() => Int, { description: 'Members who joined in the period.' })
  newMembers!: number;

  @Field(() => RatioView, { description: 'Referral rate: new members who joined with a referral code (in any status) / new members.' })
  referralRate!: RatioView;

  @Field(() => RatioView, {
    description: 'Referral conversion: their referrals QUALIFIED before `to` / those not REJECTED before `to` (PENDING + QUALIFIED).',
  })
  referralConversion!: RatioView;

  @Field(() => RatioView, { description: 'Referrals per active referrer: their referrals not REJECTED before `to` / distinct referrers of those referrals.' })
  referralsPerActiveReferrer!: RatioView;
}

@ObjectType('LtvRunRef', { description: 'The LTV run the Value section reads.' })
export class LtvRunRefView {
  @Field({ description: 'The run (LtvRun.id).' })
  id!: string;

  @Field({ description: 'The time the run scored members as of.' })
  asOf!: Date;
}

@ObjectType('ChannelValue', { description: 'LTV against CAC for the new members of one acquisition channel.' })
export class ChannelValueView {
  @Field(() => String, { nullable: true, description: 'Members.acquisitionChannel; null for members enrolled without one.' })
  channel!: string | null;

  @Field(() => Int, { description: 'New members of the period with a score in the LTV run.' })
  scoredMembers!: number;

  @Field(() => MoneyRatioView, { description: "Mean LTV: sum of their LTVs (the plan's formula AOV x purchases per year x lifespan - CAC; -CAC without orders) / scoredMembers." })
  meanLtv!: MoneyRatioView;

  @Field(() => ValueRatioView, { description: 'LTV:CAC: sum of their LTVs before CAC is taken off / sum of their CACs (null when they cost nothing).' })
  ltvToCac!: ValueRatioView;

  @Field(() => Boolean, { nullable: true, description: "Whether ltvToCac reaches the plan's bar (ltvToCacBar); null when it has no value." })
  meetsBar!: boolean | null;
}

@ObjectType('ValueMetrics', { description: 'LTV against CAC, from the latest successful LTV run, for the members who joined in the period.' })
export class ValueMetricsView {
  @Field(() => LtvRunRefView, { nullable: true, description: 'The latest successful LTV run; null when there is none (then nothing is scored).' })
  ltvRun!: LtvRunRefView | null;

  @Field(() => Float, { description: "The growth plan's health bar for LTV:CAC (3.5)." })
  ltvToCacBar!: number;

  @Field(() => Int, { description: 'New members of the period with a score in the LTV run (members who joined after it have none).' })
  scoredMembers!: number;

  @Field(() => MoneyRatioView, { description: "Mean LTV: sum of the scored members' LTVs (AOV x purchases per year x lifespan - CAC; -CAC without orders) / scoredMembers." })
  meanLtv!: MoneyRatioView;

  @Field(() => ValueRatioView, { description: 'LTV:CAC: sum of their LTVs before CAC is taken off / sum of their CACs.' })
  ltvToCac!: ValueRatioView;

  @Field(() => Boolean, { nullable: true, description: 'Whether ltvToCac reaches ltvToCacBar; null when it has no value.' })
  meetsBar!: boolean | null;

  @Field(() => [ChannelValueView], { description: 'The same per acquisition channel.' })
  byChannel!: ChannelValueView[];
}

@ObjectType('EngagementMetrics', { description: 'Activity: a member is active on a UTC day when it made an authenticated request that day.' })
export class EngagementMetricsView {
  /** Not a GraphQL field: the period byMonth splits. */
  query!: GrowthQuery;
  @Field(() => RatioView, { description: 'DAU: the mean number of distinct active members per day, over the UTC days that start in the period (member-days / days).' })
  dau!: RatioView;

  @Field(() => Int, { description: 'MAU: distinct members active on the 30 UTC days that start in [to - 30 days, to).' })
  mau!: number;

  @Field(() => RatioView, { description: 'DAU / MAU, kept exact as member-days / (days x MAU).' })
  dauMau!: RatioView;
}

@ObjectType('GrowthMetrics', {
  description:
    'The growth plan\'s AARRR numbers for the period [from, to), from the programme\'s own data, for members of `market` and `channel` when given. Money is in the base currency; orders placed at or after `to` never count.',
})
export class GrowthMetricsView {
  @Field({ description: 'Start of the period (included).' })
  from!: Date;

  @Field({ description: 'End of the period (excluded).' })
  to!: Date;

  @Field(() => String, { nullable: true, description: 'Only members with this country (ISO 3166-1 alpha-2).' })
  market!: string | null;

  @Field(() => String, { nullable: true, description: 'Only members with this acquisition channel.' })
  channel!: string | null;

  @Field({ description: 'The currency of every amount (BASE_CURRENCY).' })
  baseCurrency!: string;

  /** Not a GraphQL field: what the section resolvers compute for. */
  query!: GrowthQuery;

  static of(query: GrowthQuery, baseCurrency: string): GrowthMetricsView {
    return Object.assign(new GrowthMetricsView(), { from: query.from, to: query.to, market: query.market, channel: query.channel, baseCurrency, query });
  }
}
