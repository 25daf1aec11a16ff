import { Field, ObjectType } from 'type-graphql';
import { formatDecimal, parseDecimal } from '../../money/decimal';
import type { ExchangeRate } from './exchange-rate.entity';

@ObjectType('ExchangeRate')
export class ExchangeRateView {
  @Field()
  currency!: string;

  @Field({ description: 'Units of currency per one unit of the base currency, as a decimal string.' })
  rate!: string;

  @Field()
  effectiveAt!: Date;

  static of(rate: ExchangeRate): ExchangeRateView {
    return Object.assign(new ExchangeRateView(), {
      currency: rate.currency,
      rate: formatDecimal(parseDecimal(rate.rate, 'rate')),
      effectiveAt: rate.effectiveAt,
    });
  }
}
