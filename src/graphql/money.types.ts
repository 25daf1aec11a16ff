import { Field, InputType, ObjectType } from 'type-graphql';
import { formatMoney, Money, parseMoney } from '../money/money';

@InputType('MoneyInput')
export class MoneyInput {
  @Field({ description: 'Decimal string in major units, such as "12.34" (USD), "1500" (JPY), "1.250" (KWD).' })
  amount!: string;

  @Field({ description: 'ISO 4217 code.' })
  currency!: string;
}

@ObjectType('Money')
export class MoneyView {
  @Field()
  amount!: string;

  @Field()
  currency!: string;

  static of(money: Money): MoneyView {
    return Object.assign(new MoneyView(), { amount: formatMoney(money), currency: money.currency });
  }
}

export function parseMoneyInput(input: MoneyInput, field: string, options: { allowZero?: boolean } = {}): Money {
  return parseMoney(input.amount, input.currency, field, options);
}
