import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, Extensions, FieldResolver, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PER_PAGE } from '../../graphql/cost';
import type { RequestContext } from '../../graphql/context';
import { MoneyView } from '../../graphql/money.types';
import type { Member } from '../members/member.entity';
import { MemberView } from '../members/member.types';
import { localisedName } from '../../localised-names';
import { LocalisedNameView } from '../../graphql/localised-name.types';
import { listPerks } from './perk.service';
import { currentRung, highestSupportPriority, tierProgress } from './tier-policy';
import { CreateTierInput, PerkInput, PerkView, SupportPriority, TierChangeView, TierProgressView, TierView, UpdateTierInput } from './tier.types';

@Resolver(() => TierView)
export class TierResolver {
  @Authorized()
  @Query(() => [TierView], { description: 'The membership tier ladder, lowest first.' })
  async tiers(@Ctx() context: RequestContext): Promise<TierView[]> {
    return (await context.tierLoaders.ladder()).map((tier) => TierView.of(tier));
  }

  @FieldResolver(() => String, { description: "The name in `locale`, else in the member's locale (for a member's tier), else the default name." })
  name(@Root() tier: TierView, @Arg('locale', () => String, { nullable: true }) locale?: string | null): string {
    return localisedName(tier.name, tier.names, locale ?? tier.preferredLocale);
  }

  @FieldResolver(() => [LocalisedNameView])
  names(@Root() tier: TierView): LocalisedNameView[] {
    return LocalisedNameView.list(tier.names);
  }

  @FieldResolver(() => MoneyView, { description: 'Qualifying spend over the evaluation window, in the base currency.' })
  threshold(@Root() tier: TierView, @Ctx() context: RequestContext): MoneyView {
    return MoneyView.of({ minor: tier.thresholdMinor, currency: context.config.baseCurrency });
  }

  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => [PerkView], { description: 'The perks this tier grants.' })
  async perks(@Root() tier: TierView, @Ctx() context: RequestContext): Promise<PerkView[]> {
    return (await context.tierLoaders.perksOfSource.load(`TIER:${tier.code}`)).map((perk) => PerkView.of(perk, tier.preferredLocale));
  }

  @Authorized('admin')
  @Mutation(() => TierView, { description: 'Add a tier to the ladder (admin). Thresholds must rise with rank; the lowest tier needs 0.' })
  async createTier(@Ctx() context: RequestContext, @Arg('input') input: CreateTierInput): Promise<TierView> {
    const tier = await context.tierAdmin.create(context, input);
    return TierView.of(tier);
  }

  @Authorized('admin')
  @Mutation(() => TierView, { description: 'Change a tier (admin). Members move on their next order or at the next tier review.' })
  async updateTier(@Ctx() context: RequestContext, @Arg('input') input: UpdateTierInput): Promise<TierView> {
    const tier = await context.tierAdmin.update(context, input);
    return TierView.of(tier);
  }

  @Authorized('admin')
  @Mutation(() => Boolean, { description: 'Delete a tier nobody holds (admin).' })
  async deleteTier(@Ctx() context: RequestContext, @Arg('code') code: string): Promise<boolean> {
    return context.tierAdmin.delete(context, code);
  }
}

@Resolver(() => PerkView)
export class PerkResolver {
  @FieldResolver(() => String, { description: "The name in `locale`, else in the member's locale, else the default name." })
  name(@Root() perk: PerkView, @Arg('locale', () => String, { nullable: true }) locale?: string | null): string {
    return localisedName(perk.name, perk.names, locale ?? perk.preferredLocale);
  }

  @FieldResolver(() => [LocalisedNameView])
  names(@Root() perk: PerkView): LocalisedNameView[] {
    return LocalisedNameView.list(perk.names);
  }

  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => [String], { description: 'Every tier and LTV tier the perk is attached to, such as TIER:GOLD and LTV:VIP.' })
  async sources(@Root() perk: PerkView, @Ctx() context: RequestContext): Promise<string[]> {
    return perk.sources ?? context.tierLoaders.sourcesOfPerk.load(perk.code);
  }

  @Authorized('support', 'admin')
  @Query(() => [PerkView], { description: 'Every perk of the programme, by code, with its sources (support, admin). Its source field is empty here; see sources.' })
  async perks(@Ctx() context: RequestContext): Promise<PerkView[]> {
    return (await listPerks(context.em)).map((perk) => Object.assign(PerkView.of({ ...perk, source: '' }, null), { sources: perk.sources }));
  }

  @Authorized('admin')
  @Mutation(() => PerkView, { description: 'Add a perk (admin); attach it with grantPerk.' })
  async createPerk(@Ctx() context: RequestContext, @Arg('input') input: PerkInput): Promise<PerkView> {
    const perk = await context.perkAdmin.create(context, input);
    return PerkView.of({ ...perk, source: '', supportPriority: perk.supportPriority as PerkView['supportPriority'] }, null);
  }

  @Authorized('admin')
  @Mutation(() => PerkView, { description: 'Change a perk (admin).' })
  async updatePerk(@Ctx() context: RequestContext, @Arg('input') input: PerkInput): Promise<PerkView> {
    const perk = await context.perkAdmin.update(context, input);
    return PerkView.of({ ...perk, source: '', supportPriority: perk.supportPriority as PerkView['supportPriority'] }, null);
  }

  @Authorized('admin')
  @Mutation(() => PerkView, { description: 'Attach a perk to a tier (TIER:GOLD) or an LTV tier (LTV:VIP) (admin). Idempotent.' })
  async grantPerk(@Ctx() context: RequestContext, @Arg('perkCode') perkCode: string, @Arg('source') source: string): Promise<PerkView> {
    const perk = await context.perkAdmin.grant(context, perkCode, source);
    return PerkView.of({ ...perk, source: source.trim().toUpperCase(), supportPriority: perk.supportPriority as PerkView['supportPriority'] }, null);
  }

  @Authorized('admin')
  @Mutation(() => Boolean, { description: 'Detach a perk from a tier or LTV tier (admin); false when it was not attached.' })
  async revokePerk(@Ctx() context: RequestContext, @Arg('perkCode') perkCode: string, @Arg('source') source: string): Promise<boolean> {
    return context.perkAdmin.revoke(context, perkCode, source);
  }
}

/** The tier fields of Member, batched per request. */
@Resolver(() => MemberView)
export class MemberTierResolver {
  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => TierView, { description: 'The membership tier the member holds now.' })
  async tier(@Root() member: Member, @Ctx() context: RequestContext, @Info() info: GraphQLResolveInfo): Promise<TierView> {
    const { ladder, standing } = await context.memberStatus.of(member, info);
    return TierView.of(currentRung(ladder!, standing!), member.locale);
  }

  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => TierProgressView)
  async tierProgress(@Root() member: Member, @Ctx() context: RequestContext, @Info() info: GraphQLResolveInfo): Promise<TierProgressView> {
    const status = await context.memberStatus.of(member, info);
    const [ladder, standing, spend] = [status.ladder!, status.standing!, status.spendMinor!];
    const progress = tierProgress(ladder, standing, spend);
    const currency = context.config.baseCurrency;
    return Object.assign(new TierProgressView(), {
      current: TierView.of(progress.current, member.locale),
      next: progress.next ? TierView.of(progress.next, member.locale) : null,
      qualifyingSpend: MoneyView.of({ minor: spend, currency }),
      remainingToNext: progress.remainingToNextMinor === null ? null : MoneyView.of({ minor: progress.remainingToNextMinor, currency }),
      retainUntil: standing?.retainUntil ?? null,
    });
  }

  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => [PerkView], { description: 'Every perk the member holds now, from its tier and from its LTV tier.' })
  async perks(@Root() member: Member, @Ctx() context: RequestContext, @Info() info: GraphQLResolveInfo): Promise<PerkView[]> {
    return (await context.memberStatus.of(member, info)).perks!.map((perk) => PerkView.of(perk, member.locale));
  }

  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => SupportPriority, { description: 'The highest support priority any of the perks grants.' })
  async supportPriority(@Root() member: Member, @Ctx() context: RequestContext, @Info() info: GraphQLResolveInfo): Promise<SupportPriority> {
    const { perks } = await context.memberStatus.of(member, info);
    return highestSupportPriority(perks!.map((perk) => perk.supportPriority)) as SupportPriority;
  }

  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => [TierChangeView], { description: 'Tier changes, newest first (at most 50).' })
  async tierHistory(@Root() member: Member, @Ctx() context: RequestContext): Promise<TierChangeView[]> {
    const rows = await context.tierLoaders.history.load(member.id);
    return rows.map((row) =>
      Object.assign(new TierChangeView(), {
        fromTier: row.from_tier,
        toTier: row.to_tier,
        reason: row.reason,
        qualifyingSpend: MoneyView.of({ minor: BigInt(row.qualifying_spend_minor), currency: context.config.baseCurrency }),
        changedAt: row.changed_at,
      }),
    );
  }
}
