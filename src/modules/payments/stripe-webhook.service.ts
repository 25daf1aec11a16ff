import type { EntityManager } from '@mikro-orm/postgresql';
import type { RequestScope } from '../../graphql/context';
import { requestHash } from '../../idempotency';
import { fromStripeAmount } from '../../money/stripe-amounts';
import type { Money } from '../../money/money';
import { Ledger } from '../ledger/ledger';
import { FreezeStatus } from '../ledger/points-freeze.entity';
import { Member } from '../members/member.entity';
import type { OrderService } from '../orders/order.service';
import { DisputeState } from './stripe-dispute.entity';
import { StripeEventState } from './stripe-event.entity';
import { checkReferralAfterCardSeen } from '../referrals/referral.service';
import { qualifyReferralOfReferee } from '../referrals/referral-qualification';
import { addDays } from '../../time';
import { isErasedMember, isErasedPayer } from '../privacy/erased-members';

/** The part of a verified Stripe event we read. */
export interface StripeEventInput {
  id: string;
  type: string;
  /** Unix seconds. */
  created: number;
  data: { object: StripeObject };
}

/** A Stripe API object (payment intent, charge, refund, dispute): read field by field, defensively. */
export type StripeObject = Record<string, any>;

export type WebhookOutcome = 'processed' | 'deferred' | 'duplicate' | 'ignored' | 'no_member';

const PAYMENT_SUCCEEDED = 'payment_intent.succeeded';
const CHARGE_SUCCEEDED = 'charge.succeeded';
const CHARGE_REFUNDED = 'charge.refunded';
/** A refund changed status later: failed or canceled gives its points back; succeeded or pending applies it (idempotently). */
const REFUND_UPDATED = 'charge.refund.updated';
const DISPUTE_CREATED = 'charge.dispute.created';
const DISPUTE_CLOSED = 'charge.dispute.closed';
/** The event types that change anything here; every other type is stored as IGNORED. */
export const HANDLED_EVENT_TYPES: ReadonlySet<string> = new Set([PAYMENT_SUCCEEDED, CHARGE_SUCCEEDED, CHARGE_REFUNDED, REFUND_UPDATED, DISPUTE_CREATED, DISPUTE_CLOSED]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface OrderRow {
  id: string;
  member_id: string;
  amount_minor: string;
  currency: string;
  /** As the driver gives it (a Date or an ISO string). */
  placed_at: Date | string;
}

/** The card fingerprint of a charge, or null without one. */
function fingerprintOf(charge: StripeObject): string | null {
  const fingerprint = charge?.payment_method_details?.card?.fingerprint;
  return typeof fingerprint === 'string' && fingerprint.length > 0 ? fingerprint : null;
}

/**
 * Stripe's webhooks, exactly once whatever the order or number of deliveries. Each event runs in one transaction
 * that first takes a lock on its payment intent (so the events of one payment never interleave, in any replica),
 * then stores the event id (a redelivery stops there), then does its effect. An event about a payment not recorded
 * yet is stored as DEFERRED and applied, in Stripe's order, right after that payment_intent.succeeded: the final
 * state equals in-order delivery.
 */
export class StripeWebhookService {
  constructor(private readonly orders: OrderService) {}

  async handle(scope: RequestScope, event: StripeEventInput): Promise<WebhookOutcome> {
    const handled = HANDLED_EVENT_TYPES.has(event.type);
    const paymentIntentId = handled ? paymentIntentOf(event.type, event.data.object) : null;
    const createdAt = new Date(event.created * 1000);
    return scope.em.transactional(async (tx) => {
      if (paymentIntentId) await tx.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`stripe:${paymentIntentId}`]);
      const stored = await tx.execute<{ id: string }[]>(
        `insert into stripe_events (id, type, stripe_created_at, state, payment_intent_id, received_at) values (?, ?, ?, ?, ?, now())
         on conflict (id) do nothing returning id`,
        [event.id, event.type, createdAt, paymentIntentId ? StripeEventState.PROCESSED : StripeEventState.IGNORED, paymentIntentId],
      );
      if (stored.length === 0) {
        // A redelivery changes nothing, except for a payment that found no member: it is tried again (linked since?).
        const [previous] = await tx.execute<{ state: StripeEventState }[]>('select state from stripe_events where id = ?', [event.id]);
        if (previous?.state !== StripeEventState.NO_MEMBER) return 'duplicate';
      }
      if (!paymentIntentId) return 'ignored';

      const outcome = await this.apply(scope, tx, event.type, event.data.object, paymentIntentId);
      if (outcome === 'deferred' || outcome === 'no_member') {
        const state = outcome === 'deferred' ? StripeEventState.DEFERRED : StripeEventState.NO_MEMBER;
        await tx.execute('update stripe_events set state = ?, payload = ? where id = ?', [state, JSON.stringify(event.data.object), event.id]);
      } else {
        await tx.execute(`update stripe_events set state = 'PROCESSED', payload = null, processed_at = now() where id = ?`, [event.id]);
      }
      return outcome;
    });
  }

  private async apply(scope: RequestScope, tx: EntityManager, type: string, object: StripeObject, paymentIntentId: string): Promise<WebhookOutcome> {
    if (type === PAYMENT_SUCCEEDED) return this.paymentSucceeded(scope, tx, object);
    const order = await orderOf(tx, paymentIntentId);
    if (!order) return 'deferred';
    await this.applyToOrder(scope, tx, type, object, order, paymentIntentId);
    return 'processed';
  }

  private async applyToOrder(scope: RequestScope, tx: EntityManager, type: string, object: StripeObject, order: OrderRow, paymentIntentId: string): Promise<void> {
    switch (type) {
      case CHARGE_SUCCEEDED:
        return this.cardSeen(scope, tx, object, order);
      case CHARGE_REFUNDED:
        return this.chargeRefunded(scope, tx, object, paymentIntentId);
      case REFUND_UPDATED:
        return this.refundUpdated(scope, tx, object, paymentIntentId);
      case DISPUTE_CREATED:
        return this.disputeCreated(tx, object, order, paymentIntentId);
      case DISPUTE_CLOSED:
        return this.disputeClosed(scope, tx, object, order, paymentIntentId);
    }
  }

  /** Records the order (through the same code as recordOrder), then applies what waited for it. */
  private async paymentSucceeded(scope: RequestScope, tx: EntityManager, intent: StripeObject): Promise<WebhookOutcome> {
    // A payment of an erased member earns nothing and is stored without its payload (no personal data).
    if (await isErasedPayer(tx, scope.config.privacy.hashSecret, intent.metadata?.member_id, stripeCustomerOf(intent))) return 'ignored';
    const member = await memberForPayment(tx, intent);
    if (!member) {
      scope.logger.warn({ paymentIntent: intent.id }, 'Stripe payment with no member: set metadata.member_id or link the customer');
      return 'no_member';
    }
    const waiting = await tx.execute<{ id: string; type: string; payload: StripeObject }[]>(
      `select id, type, payload from stripe_events where payment_intent_id = ? and state = 'DEFERRED' order by stripe_created_at, id`,
      [intent.id],
    );
    const amount = fromStripeAmount(Number(intent.amount_received ?? intent.amount), String(intent.currency));
    if (amount.minor > 0n) {
      const now = new Date();
      const created = typeof intent.created === 'number' ? new Date(intent.created * 1000) : now;
      const placedAt = created < now ? created : now;
      // The card came first (its charge.succeeded waited): store it now, so that the fraud rules see it, and a payment
      // that vests at once qualifies the referral in this transaction, as recordOrder does. Without a card yet, the
      // referral waits for it (charge.succeeded qualifies it then) or for the referral job.
      const card = waiting.find((event) => event.type === CHARGE_SUCCEEDED && fingerprintOf(event.payload) !== null);
      if (card) await this.storeCard(tx, card.payload, member.id);
      await this.orders.recordInTransaction(
        scope,
        tx,
        member,
        {
          externalId: intent.id,
          amount,
          placedAt,
          requestHash: requestHash(['stripe', member.id, intent.id, amount.minor, amount.currency, placedAt]),
          qualifyReferralAtOnce: card !== undefined,
        },
        now,
      );
    }
    const order = await orderOf(tx, intent.id);
    for (const event of waiting) {
      // With no order (a zero amount), what waited has nothing to act on: it is done.
      if (order) await this.applyToOrder(scope, tx, event.type, event.payload, order, intent.id);
      await tx.execute(`update stripe_events set state = 'PROCESSED', payload = null, processed_at = now() where id = ?`, [event.id]);
    }
    return 'processed';
  }

  /**
   * Stores the card, then qualifies the member's pending referral when the order is already vested (placed past the
   * return window): the fraud rules have the card now, so the referral need not wait for the job. No points account
   * is locked before this in the event's transaction (or both were, in id order, by the payment's recordOrder path).
   */
  private async cardSeen(scope: RequestScope, tx: EntityManager, charge: StripeObject, order: OrderRow): Promise<void> {
    if (!(await this.storeCard(tx, charge, order.member_id))) return;
    const now = new Date();
    if (new Date(order.placed_at) <= addDays(now, -scope.config.returnWindowDays)) await qualifyReferralOfReferee(tx, scope.config, order.member_id, now);
  }

  /**
   * Stores the card's fingerprint on the member (the earliest sighting wins, so delivery order does not matter) and
   * rejects a pending referral whose two members now share it. False when there is no card or the member is erased.
   */
  private async storeCard(tx: EntityManager, charge: StripeObject, memberId: string): Promise<boolean> {
    const fingerprint = fingerprintOf(charge);
    if (fingerprint === null) return false;
    if (await isErasedMember(tx, memberId)) return false;
    const seenAt = typeof charge.created === 'number' ? new Date(charge.created * 1000) : new Date();
    await tx.execute(
      `insert into member_card_fingerprints (member_id, fingerprint, first_seen_at) values (?, ?, ?)
       on conflict (member_id, fingerprint) do update set first_seen_at = least(member_card_fingerprints.first_seen_at, excluded.first_seen_at)`,
      [memberId, fingerprint, seenAt],
    );
    // A referral whose two members now share this card is rejected at once (the qualification job checks again).
    await checkReferralAfterCardSeen(tx, memberId);
    return true;
  }

  /** A refund whose status changed: failed or canceled gives back what it took; otherwise it applies, once. */
  private async refundUpdated(scope: RequestScope, tx: EntityManager, refund: StripeObject, paymentIntentId: string): Promise<void> {
    if (typeof refund?.id !== 'string' || refund.id.length === 0) return;
    const amount = fromStripeAmount(Number(refund.amount), String(refund.currency));
    if (refund.status === 'failed' || refund.status === 'canceled') {
      await this.orders.restoreFailedRefund(scope, tx, paymentIntentId, refund.id, amount);
      return;
    }
    await this.applyRefund(scope, tx, paymentIntentId, refund.id, amount);
  }

  /** One Stripe refund, once per refund id, through the same code as refundOrder (capped at what is left). */
  private async applyRefund(scope: RequestScope, tx: EntityManager, paymentIntentId: string, refundId: string, amount: Money): Promise<void> {
    if (amount.minor === 0n) return;
    await this.orders.refundInTransaction(scope, tx, {
      orderExternalId: paymentIntentId,
      refundId,
      amount,
      requestHash: requestHash(['stripe-refund', refundId, amount.minor, amount.currency]),
      capAtWhatIsLeft: true,
    });
  }

  /** One refund per Stripe refund id (partial ones included), through the same code as refundOrder. */
  private async chargeRefunded(scope: RequestScope, tx: EntityManager, charge: StripeObject, paymentIntentId: string): Promise<void> {
    const listed: StripeObject[] | undefined = Array.isArray(charge.refunds?.data) ? charge.refunds.data : undefined;
    if (listed) {
      const refunds = listed
        .filter((refund) => typeof refund?.id === 'string' && refund.status !== 'failed' && refund.status !== 'canceled')
        .sort((a, b) => (a.created ?? 0) - (b.created ?? 0) || String(a.id).localeCompare(String(b.id)));
      for (const refund of refunds) {
        await this.applyRefund(scope, tx, paymentIntentId, refund.id, fromStripeAmount(Number(refund.amount), String(refund.currency ?? charge.currency)));
      }
      return;
    }
    // Newer API versions leave `refunds` out of the charge: refund up to amount_refunded, once per total seen.
    const total = fromStripeAmount(Number(charge.amount_refunded ?? 0), String(charge.currency));
    const [done] = await tx.execute<{ refunded: string | null }[]>(
      'select sum(r.amount_minor) as refunded from order_refunds r join orders o on o.id = r.order_id where o.external_id = ? and r.refund_id like ?',
      [paymentIntentId, `${charge.id}:refunded-to:%`],
    );
    const missing = total.minor - BigInt(done?.refunded ?? 0);
    if (missing <= 0n) return;
    const refundId = `${charge.id}:refunded-to:${total.minor}`;
    await this.orders.refundInTransaction(scope, tx, {
      orderExternalId: paymentIntentId,
      refundId,
      amount: { minor: missing, currency: total.currency },
      requestHash: requestHash(['stripe-refund', refundId, missing, total.currency]),
      capAtWhatIsLeft: true,
    });
  }

  /** Freezes the points the order earned, per points currency, until the dispute closes. A dispute closed already stays closed. */
  private async disputeCreated(tx: EntityManager, dispute: StripeObject, order: OrderRow, paymentIntentId: string): Promise<void> {
    const created = await tx.execute<{ id: string }[]>(
      `insert into stripe_disputes (id, payment_intent_id, order_id, member_id, state, created_at) values (?, ?, ?, ?, 'OPEN', now())
       on conflict (id) do nothing returning id`,
      [dispute.id, paymentIntentId, order.id, order.member_id],
    );
    if (created.length === 0) return;
    const ledger = new Ledger(tx);
    for (const currency of await lockOrderAndCurrencies(tx, order.id)) {
      const account = await ledger.lockMemberAccount(order.member_id, currency);
      await ledger.freezeOrderPoints(account, order.id, `dispute:${dispute.id}`);
    }
  }

  /** Won (or an inquiry closed): the frozen points are released. Lost: reversed like a full refund of what is left. */
  private async disputeClosed(scope: RequestScope, tx: EntityManager, dispute: StripeObject, order: OrderRow, paymentIntentId: string): Promise<void> {
    const state = dispute.status === 'lost' ? DisputeState.LOST : DisputeState.WON;
    const [existing] = await tx.execute<{ state: DisputeState }[]>('select state from stripe_disputes where id = ? for update', [dispute.id]);
    if (existing && existing.state !== DisputeState.OPEN) return;
    // Closed before its creation event arrived: open it now, as in-order delivery would have; the late creation then finds it closed.
    if (!existing) await this.disputeCreated(tx, dispute, order, paymentIntentId);
    await tx.execute('update stripe_disputes set state = ?, closed_at = now() where id = ?', [state, dispute.id]);
    const ledger = new Ledger(tx);
    for (const currency of await lockOrderAndCurrencies(tx, order.id)) {
      const account = await ledger.lockMemberAccount(order.member_id, currency);
      await ledger.unfreezeOrderPoints(account, `dispute:${dispute.id}`, state === DisputeState.LOST ? FreezeStatus.REVERSED : FreezeStatus.RELEASED);
    }
    if (state === DisputeState.LOST) {
      await this.orders.refundInTransaction(scope, tx, {
        orderExternalId: paymentIntentId,
        refundId: `dispute:${dispute.id}`,
        amount: { minor: BigInt(order.amount_minor), currency: order.currency },
        requestHash: requestHash(['stripe-dispute-lost', dispute.id]),
        capAtWhatIsLeft: true,
      });
    }
  }
}

/** The payment intent an event is about: its order's externalId. Null when it names none (then it is ignored). */
export function paymentIntentOf(type: string, object: StripeObject): string | null {
  const value = type === PAYMENT_SUCCEEDED ? object?.id : object?.payment_intent;
  const id = typeof value === 'string' ? value : typeof value?.id === 'string' ? value.id : null;
  return id && id.length > 0 ? id : null;
}

async function orderOf(tx: EntityManager, paymentIntentId: string): Promise<OrderRow | null> {
  const [order] = await tx.execute<OrderRow[]>('select id, member_id, amount_minor, currency, placed_at from orders where external_id = ?', [paymentIntentId]);
  return order ?? null;
}

/** Locks the order row (as refunds do, before any account), then lists the points currencies it earned in. */
async function lockOrderAndCurrencies(tx: EntityManager, orderId: string): Promise<string[]> {
  await tx.execute('select id from orders where id = ? for update', [orderId]);
  const rows = await tx.execute<{ currency: string }[]>('select distinct currency from points_lots where order_id = ? order by currency', [orderId]);
  return rows.map((row) => row.currency);
}

/** The member a payment earns for: metadata.member_id, else metadata.member_external_id, else the member linked to the customer. */
async function memberForPayment(tx: EntityManager, intent: StripeObject): Promise<Member | null> {
  const metadata: Record<string, unknown> = intent.metadata ?? {};
  if (typeof metadata.member_id === 'string' && UUID.test(metadata.member_id)) {
    const member = await tx.findOne(Member, { id: metadata.member_id.toLowerCase() });
    if (member) return member;
  }
  if (typeof metadata.member_external_id === 'string' && metadata.member_external_id.length > 0) {
    const member = await tx.findOne(Member, { externalId: metadata.member_external_id });
    if (member) return member;
  }
  const customer = stripeCustomerOf(intent);
  if (customer) return tx.findOne(Member, { stripeCustomerId: customer });
  return null;
}

function stripeCustomerOf(intent: StripeObject): string | null {
  const customer = typeof intent.customer === 'string' ? intent.customer : intent.customer?.id;
  return typeof customer === 'string' && customer.length > 0 ? customer : null;
}
