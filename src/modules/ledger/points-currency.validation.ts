import { BadUserInputError, checkFields } from '../../errors';
import { formatDecimal, parseDecimal } from '../../money/decimal';
import { CreatePointsCurrency, validatePointsCurrencyCode } from './points-currency.service';

/** createPointsCurrency's input, every field checked (all problems reported together); normalised as it is stored. */
export function pointsCurrencyInputOrFail(input: CreatePointsCurrency) {
  return checkFields({
    code: () => validatePointsCurrencyCode(input.code),
    name: () => {
      const name = input.name.trim();
      if (!name || name.length > 100) throw new BadUserInputError('name', 'must be 1 to 100 characters');
      return name;
    },
    valueInBase: () => formatDecimal(parseDecimal(input.valueInBase, 'valueInBase', { allowZero: true })),
    earnRate: () => formatDecimal(parseDecimal(input.earnRate, 'earnRate', { allowZero: true })),
    expiryMonths: () => {
      if (!Number.isInteger(input.expiryMonths) || input.expiryMonths < 1 || input.expiryMonths > 120) {
        throw new BadUserInputError('expiryMonths', 'must be a whole number of months from 1 to 120');
      }
      return input.expiryMonths;
    },
  });
}
