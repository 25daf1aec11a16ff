import { checkFields } from '../../errors';
import { parseMoney } from '../../money/money';
import { externalIdOrFail } from '../../validation';
import type { RefundOrderInput } from './order.service';

/** refundOrder's input, every field checked (all problems reported together); normalised as OrderService.refund uses it. */
export function refundInputOrFail(input: RefundOrderInput) {
  return checkFields({
    orderExternalId: () => externalIdOrFail(input.orderExternalId, 'orderExternalId'),
    refundId: () => externalIdOrFail(input.refundId, 'refundId'),
    amount: () => parseMoney(input.amount.amount, input.amount.currency, 'amount'),
  });
}
