import { BadUserInputError, checkFields } from '../../errors';
import { externalIdOrFail, uuidOrFail } from '../../validation';
import type { AdjustInput } from './adjustment.service';
import { pointsCurrencyCodeOrFail } from './points-currency.service';

export const MAX_REASON_LENGTH = 500;

/** adjustPoints' input, every field checked (all problems reported together); normalised as AdjustmentService.adjust uses it. */
export function adjustInputOrFail(input: AdjustInput) {
  return checkFields({
    memberId: () => uuidOrFail(input.memberId, 'memberId', 'is not a member id'),
    points: () => {
      if (!Number.isSafeInteger(input.points) || input.points === 0) throw new BadUserInputError('points', 'must be a whole number other than zero');
      return BigInt(input.points);
    },
    currencyCode: () => pointsCurrencyCodeOrFail(input.currency),
    reason: () => {
      const reason = input.reason.trim();
      if (!reason || reason.length > MAX_REASON_LENGTH) throw new BadUserInputError('reason', `must be 1 to ${MAX_REASON_LENGTH} characters`);
      return reason;
    },
    idempotencyKey: () => externalIdOrFail(input.idempotencyKey, 'idempotencyKey'),
  });
}
