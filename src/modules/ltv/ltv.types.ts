import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MoneyView } from '../../graphql/money.types';
import { ChurnRisk } from './ltv-policy';

registerEnumType(ChurnRisk, { name: 'ChurnRisk', description: 'From the probability that the member is still active (BG/NBD).' });

@ObjectType('LtvProfile')
export class LtvProfileView {
  @Field({ description: 'The LTV tier code, such as VIP, HIGH, MEDIUM, LOW.' })
  tier!: string;

  @Field(() => MoneyView, { description: 'Realised spend to date, base currency.' })
  historical!: MoneyView;

  @Field(() => MoneyView, { description: 'Expected spend over the next 12 months (BG/NBD purchases times Gamma-Gamma order value).' })
  predicted12m!: MoneyView;

  @Field(() => Float)
  expectedPurchases12m!: number;

  @Field(() => Float)
  probabilityAlive!: number;

  @Field(() => ChurnRisk)
  churnRisk!: ChurnRisk;

  @Field(() => Float, { nullable: true, description: "LTV divided by the member's acquisition cost; null when the cost is unknown." })
  ltvToCac!: number | null;

  @Field(() => MoneyView, {
    nullable: true,
    description: 'Formula LTV: expected order value x purchases per year x expected lifespan (years) - acquisition cost. Null without orders.',
  })
  formulaLtv!: MoneyView | null;

  @Field(() => MoneyView, { nullable: true, description: 'Expected value of one future order (Gamma-Gamma). Null without orders.' })
  expectedOrderValue!: MoneyView | null;

  @Field()
  computedAt!: Date;
}

@ObjectType('LtvModel', { description: 'BG/NBD and Gamma-Gamma parameters, with time measured in weeks as in the literature.' })
export class LtvModelView {
  @Field(() => Float)
  r!: number;

  @Field(() => Float)
  alpha!: number;

  @Field(() => Float)
  a!: number;

  @Field(() => Float)
  b!: number;

  @Field(() => Float, { description: 'Gamma-Gamma spend model parameters (v in base-currency units).' })
  p!: number;

  @Field(() => Float)
  q!: number;

  @Field(() => Float)
  v!: number;

  @Field(() => Int, { description: 'Members the model was fitted on.' })
  fittedOn!: number;

  @Field()
  asOf!: Date;
}

@ObjectType('LtvRun')
export class LtvRunView {
  @Field(() => ID)
  id!: string;

  @Field()
  asOf!: Date;

  @Field(() => Int)
  membersScored!: number;

  @Field(() => LtvModelView)
  model!: LtvModelView;

  @Field()
  startedAt!: Date;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}
