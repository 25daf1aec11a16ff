import type { MikroORM } from '@mikro-orm/postgresql';
import express from 'express';
import Stripe from 'stripe';
import type { Config } from '../../config/config';
import { systemScope } from '../../graphql/context';
import { HANDLED_EVENT_TYPES, StripeEventInput, StripeWebhookService } from './stripe-webhook.service';
import { countStripeEvent } from '../../observability/domain-metrics';
import { DomainError } from '../../errors';
import { StripePayloadError } from '../../money/stripe-amounts';
import { pathOfNulCharacter } from '../../validation';
import { withConflictRetry } from '../../db/retry';

/** Stripe's default: a signature older than this many seconds is refused (replay protection). */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;
/** Stripe events are a few kB; this leaves room for large metadata and refund lists. */
export const STRIPE_WEBHOOK_BODY_LIMIT = '1mb';

/**
 * POST /webhooks/stripe, mounted with express.raw before any JSON parser: the signature is checked over the raw
 * bytes with STRIPE_WEBHOOK_SECRET before anything is parsed. 400 with nothing stored for a bad or missing
 * signature, a stale timestamp or a body that is not an event, and (nothing stored) for a verified event we cannot
 * use (an amount that is not a count, an unknown currency, an order above MAX_ORDER_AMOUNT, NUL characters); 503
 * when no secret is configured or the database is unavailable; 500 (Stripe retries) when processing fails.
 */
export function stripeWebhookHandler(orm: MikroORM, config: Config, stripeWebhooks: StripeWebhookService): express.RequestHandler {
  return async (request, response, next) => {
    const secret = config.stripeWebhookSecret;
    if (!secret) {
      response.status(503).json({ error: 'Stripe webhooks are not configured: set STRIPE_WEBHOOK_SECRET' });
      return;
    }
    const signature = request.headers['stripe-signature'];
    if (typeof signature !== 'string' || signature.length === 0) {
      response.status(400).json({ error: 'missing Stripe-Signature header' });
      return;
    }
    const body: unknown = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0) {
      response.status(400).json({ error: 'empty body' });
      return;
    }
    let event: StripeEventInput;
    try {
      // Verifies the signature and the timestamp, and only then parses the JSON.
      event = Stripe.webhooks.constructEvent(body, signature, secret, STRIPE_SIGNATURE_TOLERANCE_SECONDS) as unknown as StripeEventInput;
    } catch (error) {
      request.log.warn({ reason: (error as Error).message }, 'Stripe webhook refused');
      countStripeEvent('unverified', 'refused', HANDLED_EVENT_TYPES);
      response.status(400).json({ error: 'invalid Stripe signature or payload' });
      return;
    }
    if (!isEvent(event)) {
      response.status(400).json({ error: 'not a Stripe event' });
      return;
    }
    const nul = pathOfNulCharacter(event);
    if (nul) {
      countStripeEvent(event.type, 'refused', HANDLED_EVENT_TYPES);
      response.status(400).json({ error: `unusable Stripe event: ${nul} contains a NUL character` });
      return;
    }
    try {
      // One transaction per event, idempotent by event id: run again, on a fresh EntityManager, after a deadlock.
      const outcome = await withConflictRetry(() => stripeWebhooks.handle(systemScope(orm.em.fork(), String(request.id), config, request.log), event));
      request.log.info({ stripeEvent: event.id, type: event.type, outcome }, 'Stripe webhook');
      countStripeEvent(event.type, outcome, HANDLED_EVENT_TYPES);
      response.json({ received: true, outcome });
    } catch (error) {
      // Verified but unusable (an amount that is not a count, an order above MAX_ORDER_AMOUNT): nothing was stored.
      if (error instanceof StripePayloadError || error instanceof DomainError) {
        countStripeEvent(event.type, 'refused', HANDLED_EVENT_TYPES);
        request.log.warn({ stripeEvent: event.id, type: event.type, reason: error.message }, 'unusable Stripe event');
        response.status(400).json({ error: `unusable Stripe event: ${error.message}` });
        return;
      }
      countStripeEvent(event.type, 'failed', HANDLED_EVENT_TYPES);
      next(error);
    }
  };
}

function isEvent(event: unknown): event is StripeEventInput {
  const candidate = event as StripeEventInput | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.id === 'string' &&
    candidate.id.length > 0 &&
    typeof candidate.type === 'string' &&
    Number.isSafeInteger(candidate.created) &&
    typeof candidate.data?.object === 'object' &&
    candidate.data.object !== null
  );
}

export const stripeWebhookBodyParser = () => express.raw({ type: '*/*', limit: STRIPE_WEBHOOK_BODY_LIMIT });
