import { Field, ID, InputType, Int } from 'type-graphql';
import { MoneyInput } from '../../graphql/money.types';

/** A change to an earning rule: a field left out keeps its value; null clears it (not name or firstOrderOnly). */
@InputType('UpdateEarningRuleInput')
export class UpdateEarningRuleInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => [String], { nullable: true, description: 'ISO 3166-1 alpha-2 markets; null for every market.' })
  markets?: string[] | null;

  @Field(() => Date, { nullable: true })
  startsAt?: Date | null;

  @Field(() => Date, { nullable: true })
  endsAt?: Date | null;

  @Field(() => MoneyInput, { nullable: true, description: 'Minimum order, in the base currency; null for none.' })
  minOrder?: MoneyInput | null;

  @Field(() => Boolean, { nullable: true })
  firstOrderOnly?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Such as "2" for double points; null for none.' })
  multiplier?: string | null;

  @Field(() => Int, { nullable: true, description: 'Fixed points added when the rule matches; null for none.' })
  bonusPoints?: number | null;
}
