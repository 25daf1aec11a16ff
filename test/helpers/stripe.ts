import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';

export const TEST_STRIPE_WEBHOOK_SECRET = 'whsec_test_perkgraph_0123456789abcdef';

export interface StripeTestEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  api_version: string;
  livemode: false;
  data: { object: Record<string, unknown> };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const unique = () => randomUUID().replace(/-/g, '').slice(0, 24);

/** A Stripe event envelope around `object`, with a fresh evt_ id. */
export function stripeEvent(type: string, object: Record<string, unknown>, created = nowSeconds()): StripeTestEvent {
  return { id: `evt_${unique()}`, object: 'event', type, created, api_version: '2025-10-29.clover', livemode: false, data: { object } };
}

export interface PaymentFields {
  id: string;
  amount: number;
  currency: string;
  created?: number;
  memberId?: string;
  memberExternalId?: string;
  customer?: string | null;
}

export function paymentIntent(payment: PaymentFields): Record<string, unknown> {
  const metadata: Record<string, string> = {};
  if (payment.memberId) metadata.member_id = payment.memberId;
  if (payment.memberExternalId) metadata.member_external_id = payment.memberExternalId;
  return {
    id: payment.id,
    object: 'payment_intent',
    amount: payment.amount,
    amount_received: payment.amount,
    currency: payment.currency.toLowerCase(),
    created: payment.created ?? nowSeconds(),
    customer: payment.customer ?? null,
    metadata,
    status: 'succeeded',
  };
}

export function charge(fields: {
  id: string;
  paymentIntent: string;
  amount: number;
  currency: string;
  created?: number;
  fingerprint?: string;
  refunds?: { id: string; amount: number; created: number; status?: string }[];
}): Record<string, unknown> {
  const refunded = (fields.refunds ?? []).reduce((sum, refund) => sum + refund.amount, 0);
  return {
    id: fields.id,
    object: 'charge',
    amount: fields.amount,
    amount_refunded: refunded,
    currency: fields.currency.toLowerCase(),
    created: fields.created ?? nowSeconds(),
    payment_intent: fields.paymentIntent,
    refunded: refunded === fields.amount,
    payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242', fingerprint: fields.fingerprint ?? 'fp_default' } },
    refunds: {
      object: 'list',
      has_more: false,
      data: (fields.refunds ?? []).map((refund) => ({
        id: refund.id,
        object: 'refund',
        amount: refund.amount,
        currency: fields.currency.toLowerCase(),
        charge: fields.id,
        payment_intent: fields.paymentIntent,
        created: refund.created,
        status: refund.status ?? 'succeeded',
      })),
    },
  };
}

export function dispute(fields: { id: string; paymentIntent: string; charge: string; amount: number; currency: string; status: string }): Record<string, unknown> {
  return {
    id: fields.id,
    object: 'dispute',
    amount: fields.amount,
    currency: fields.currency.toLowerCase(),
    charge: fields.charge,
    payment_intent: fields.paymentIntent,
    status: fields.status,
    reason: 'fraudulent',
  };
}

export interface PostOptions {
  secret?: string;
  /** Unix seconds for the signature; defaults to now. */
  timestamp?: number;
  /** Replaces the Stripe-Signature header; null sends none. */
  header?: string | null;
  /** Sends this body instead of the signed one (tampering). */
  body?: string;
}

/** Signs the event with generateTestHeaderString and POSTs it to the server's /webhooks/stripe. */
export async function postStripeEvent(
  url: string,
  event: unknown,
  options: PostOptions = {},
): Promise<{ status: number; body: any }> {
  const payload = typeof event === 'string' ? event : JSON.stringify(event);
  const header =
    options.header === undefined
      ? Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? TEST_STRIPE_WEBHOOK_SECRET, timestamp: options.timestamp })
      : options.header;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (header !== null) headers['stripe-signature'] = header;
  const response = await fetch(`${url}/webhooks/stripe`, { method: 'POST', headers, body: options.body ?? payload });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, body };
}
