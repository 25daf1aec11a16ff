import { Arg, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { MoneyView } from '../../graphql/money.types';
import { growthQueryOrFail, LTV_TO_CAC_BAR } from './growth.service';
import {
  AcquisitionMetricsView,
  ActivationMetricsView,
  EngagementMetricsView,
  GrowthMetricsView,
  MoneyRatioView,
  MonthlyEngagementView,
  MonthlyRevenueView,
  RatioView,
  ReferralMetricsView,
  RetentionMetricsView,
  RevenueMetricsView,
  ValueMetricsView,
  ValueRatioView,
} from './growth.types';

/** Each section is computed only when it is selected: its own few statements. */
@Resolver(() => GrowthMetricsView)
export class GrowthResolver {
  @Authorized('admin')
  @Query(() => GrowthMetricsView, { description: "The growth plan's AARRR numbers for the period [from, to) (admin); market and channel filter the members counted." })
  growthMetrics(
    @Ctx() context: RequestContext,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('market', () => String, { nullable: true }) market?: string | null,
    @Arg('channel', () => String, { nullable: true }) channel?: string | null,
  ): GrowthMetricsView {
    return GrowthMetricsView.of(growthQueryOrFail(from, to, market, channel), context.config.baseCurrency);
  }

  @FieldResolver(() => AcquisitionMetricsView, { description: 'Acquisition: new members, CAC by channel, overseas share.' })
  async acquisition(@Root() root: GrowthMetricsView, @Ctx() context: RequestContext): Promise<AcquisitionMetricsView> {
    const result = await context.growth.acquisition(context, root.query);
    const money = (minor: bigint) => MoneyView.of({ minor, currency: root.baseCurrency });
    return Object.assign(new AcquisitionMetricsView(), {
      ...result,
      acquisitionCost: money(result.acquisitionCostMinor),
      cac: MoneyRatioView.of(result.cac, root.baseCurrency),
      overseasShare: RatioView.of(result.overseasShare),
      byChannel: result.byChannel.map((row) => ({
        channel: row.channel,
        newMembers: row.newMembers,
        acquisitionCost: money(row.acquisitionCostMinor),
        cac: MoneyRatioView.of(row.cac, root.baseCurrency),
      })),
    });
  }

  @FieldResolver(() => ActivationMetricsView, { description: 'Activation: first orders soon after joining.' })
  async activation(@Root() root: GrowthMetricsView, @Ctx() context: RequestContext): Promise<ActivationMetricsView> {
    const result = await context.growth.activation(context, root.query);
    return Object.assign(new ActivationMetricsView(), {
      ...result,
      firstOrderWithin7Days: RatioView.of(result.firstOrderWithin7Days),
      firstOrderWithin30Days: RatioView.of(result.firstOrderWithin30Days),
    });
  }

  @FieldResolver(() => RetentionMetricsView, { description: 'Retention: monthly cohorts, repeat purchases, churn.' })
  async retention(@Root() root: GrowthMetricsView, @Ctx() context: RequestContext): Promise<RetentionMetricsView> {
    const result = await context.growth.retention(context, root.query);
    return Object.assign(new RetentionMetricsView(), {
      cohorts: result.cohorts.map((cohort) => ({ month: cohort.month, members: cohort.members, retention: cohort.cells.map((cell) => RatioView.of(cell)) })),
      repeatPurchaseRate: RatioView.of(result.repeatPurchaseRate),
      churnRate: RatioView.of(result.churnRate),
      previousPeriodFrom: result.previousFrom,
    });
  }

  @FieldResolver(() => RevenueMetricsView, { description: 'Revenue: GMV, net revenue, AOV, revenue per member, high-value share.' })
  async revenue(@Root() root: GrowthMetricsView, @Ctx() context: RequestContext): Promise<RevenueMetricsView> {
    const result = await context.growth.revenue(context, root.query);
    const money = (minor: bigint) => MoneyView.of({ minor, currency: root.baseCurrency });
    return Object.assign(new RevenueMetricsView(), {
      query: root.query,
      orders: result.orders,
      gmv: money(result.gmvMinor),
      netRevenue: money(result.netRevenueMinor),
      aov: MoneyRatioView.of(result.aov, root.baseCurrency),
      revenuePerMember: MoneyRatioView.of(result.revenuePerMember, root.baseCurrency),
      highValueShare: RatioView.of(result.highValueShare),
      highValueThreshold: money(result.highValueThresholdMinor),
    });
  }

  @FieldResolver(() => ReferralMetricsView, { description: 'Referral: referral rate, conversion, referrals per active referrer.' })
  async referral(@Root() root: GrowthMetricsView, @Ctx() context: RequestContext): Promise<ReferralMetricsView> {
    const result = await context.growth.referral(context, root.query);
    return Object.assign(new ReferralMetricsView(), {
      newMembers: result.newMembers,
      referralRate: RatioView.of(result.referralRate),
      referralConversion: RatioView.of(result.referralConversion),
      referralsPerActiveReferrer: RatioView.of(result.referralsPerActiveReferrer),
    });
  }

  @FieldResolver(() => ValueMetricsView, { description: 'Value: mean LTV and LTV:CAC by channel, from the latest LTV run, against the 3.5 bar.' })
  async value(@Root() root: GrowthMetricsView, @Ctx() context: RequestContext): Promise<ValueMetricsView> {
    const result = await context.growth.value(context, root.query);
    const meets = (value: number | null) => (value === null ? null : value >= LTV_TO_CAC_BAR);
    return Object.assign(new ValueMetricsView(), {
      ltvRun: result.run,
      ltvToCacBar: LTV_TO_CAC_BAR,
      scoredMembers: result.scoredMembers,
      meanLtv: MoneyRatioView.of(result.meanLtv, root.baseCurrency),
      ltvToCac: ValueRatioView.of(result.ltvToCac, root.baseCurrency),
      meetsBar: meets(result.ltvToCac.value),
      byChannel: result.byChannel.map((row) => ({
        channel: row.channel,
        scoredMembers: row.scoredMembers,
        meanLtv: MoneyRatioView.of(row.meanLtv, root.baseCurrency),
        ltvToCac: ValueRatioView.of(row.ltvToCac, root.baseCurrency),
        meetsBar: meets(row.ltvToCac.value),
      })),
    });
  }

  @FieldResolver(() => EngagementMetricsView, { description: 'Engagement: DAU, MAU and DAU/MAU.' })
  async engagement(@Root() root: GrowthMetricsView, @Ctx() context: RequestContext): Promise<EngagementMetricsView> {
    const result = await context.growth.engagement(context, root.query);
    return Object.assign(new EngagementMetricsView(), { query: root.query, dau: RatioView.of(result.dau), mau: result.mau, dauMau: RatioView.of(result.dauMau) });
  }
}

@Resolver(() => RevenueMetricsView)
export class RevenueByMonthResolver {
  @FieldResolver(() => [MonthlyRevenueView], { description: 'Orders, GMV and net revenue per UTC month of the period, oldest first (the first and last months may be partial).' })
  async byMonth(@Root() root: RevenueMetricsView, @Ctx() context: RequestContext): Promise<MonthlyRevenueView[]> {
    const currency = context.config.baseCurrency;
    return (await context.growth.revenueByMonth(context, root.query)).map((month) =>
      Object.assign(new MonthlyRevenueView(), {
        month: month.month,
        from: month.from,
        to: month.to,
        orders: month.orders,
        gmv: MoneyView.of({ minor: month.gmvMinor, currency }),
        netRevenue: MoneyView.of({ minor: month.netRevenueMinor, currency }),
      }),
    );
  }
}

@Resolver(() => EngagementMetricsView)
export class EngagementByMonthResolver {
  @FieldResolver(() => [MonthlyEngagementView], { description: 'DAU, MAU and DAU/MAU per UTC month of the period, oldest first (the first and last months may be partial).' })
  async byMonth(@Root() root: EngagementMetricsView, @Ctx() context: RequestContext): Promise<MonthlyEngagementView[]> {
    return (await context.growth.engagementByMonth(context, root.query)).map((month) =>
      Object.assign(new MonthlyEngagementView(), {
        month: month.month,
        from: month.from,
        to: month.to,
        dau: RatioView.of(month.dau),
        mau: month.mau,
        dauMau: RatioView.of(month.dauMau),
      }),
    );
  }
}
