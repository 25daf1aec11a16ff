import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MoneyView } from '../../graphql/money.types';
import { ChurnRisk } from './ltv-policy';
import { LtvRunStatus } from './ltv-run.entity';

registerEnumType(LtvRunStatus, { name: 'LtvRunStatus', description: 'RUNNING until the run commits; FAILED runs keep their error and leave the previous scores in place.' });

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

  @Field(() => LtvRunStatus, { description: 'SUCCEEDED here: a run that fails answers LTV_FIT_FAILED (see ltvRuns for its record).' })
  status!: LtvRunStatus;

  @Field(() => Int)
  membersScored!: number;

  @Field(() => LtvModelView)
  model!: LtvModelView;

  @Field()
  startedAt!: Date;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}

@ObjectType('LtvRunAttempt', { description: 'One LTV run as recorded, successful or not (ltvRuns).' })
export class LtvRunAttemptView {
  @Field(() => ID)
  id!: string;

  @Field()
  asOf!: Date;

  @Field(() => LtvRunStatus)
  status!: LtvRunStatus;

  @Field(() => String, { nullable: true, description: 'Why a FAILED run failed (the LTV_FIT_FAILED reason); null otherwise.' })
  error!: string | null;

  @Field(() => Int, { description: 'Members with an order the model was fitted on (0 when the run failed).' })
  fittedOn!: number;

  @Field(() => Int)
  membersScored!: number;

  @Field(() => LtvModelView, { nullable: true, description: 'The fitted parameters; null unless SUCCEEDED.' })
  model!: LtvModelView | null;

  @Field()
  startedAt!: Date;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}
