import { checkFields } from '../../errors';
import { externalIdOrFail, uuidOrFail, wholeNumberOrFail } from '../../validation';
import { pointsCurrencyCodeOrFail } from '../ledger/points-currency.service';
import { DEFAULT_HOLD_TTL_SECONDS, HoldInput } from './checkout.service';

export const MAX_HOLD_TTL_SECONDS = 24 * 60 * 60;

/** holdPoints' input, every field checked (all problems reported together); normalised as CheckoutService.hold stores it. */
export function holdInputOrFail(input: HoldInput, redemptionMinPoints: number) {
  return checkFields({
    memberId: () => uuidOrFail(input.memberId, 'memberId', 'is not a member id'),
    currency: () => pointsCurrencyCodeOrFail(input.currency),
    points: () => BigInt(wholeNumberOrFail(input.points, 'points', { min: redemptionMinPoints })),
    orderRef: () => externalIdOrFail(input.orderRef, 'orderRef'),
    idempotencyKey: () => externalIdOrFail(input.idempotencyKey, 'idempotencyKey'),
    ttlSeconds: () => wholeNumberOrFail(input.ttlSeconds ?? DEFAULT_HOLD_TTL_SECONDS, 'ttlSeconds', { min: 1, max: MAX_HOLD_TTL_SECONDS }),
  });
}
