import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { UpdateEarningRuleInput } from './earning-rule.types';
import { EarningRuleView } from './order.types';

/** Programme configuration of earning rules and campaigns (admin). */
@Resolver(() => EarningRuleView)
export class EarningRuleResolver {
  @Authorized('admin')
  @Query(() => [EarningRuleView], { description: 'Every earning rule, newest first (admin); campaigns are the rules with a window, ended ones included.' })
  async earningRules(@Ctx() context: RequestContext): Promise<EarningRuleView[]> {
    return (await context.earningRules.list(context)).map((rule) => EarningRuleView.of(rule, context.config.baseCurrency));
  }

  @Authorized('admin')
  @Mutation(() => EarningRuleView, { description: 'Change an earning rule (admin): the fields given; null clears one. The same checks as createEarningRule.' })
  async updateEarningRule(@Ctx() context: RequestContext, @Arg('input') input: UpdateEarningRuleInput): Promise<EarningRuleView> {
    return EarningRuleView.of(await context.earningRules.update(context, input), context.config.baseCurrency);
  }

  @Authorized('admin')
  @Mutation(() => EarningRuleView, { description: 'End an earning rule now (admin): orders placed from now on no longer match it. Ending an ended rule changes nothing.' })
  async endEarningRule(@Ctx() context: RequestContext, @Arg('id', () => ID) id: string): Promise<EarningRuleView> {
    return EarningRuleView.of(await context.earningRules.end(context, id), context.config.baseCurrency);
  }
}
