import { Entity, Enum, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';

/** A receiver of outbound webhooks (admin-registered). Deleting one keeps the row, disabled, for its delivery history. */
@Entity({ tableName: 'webhook_endpoints' })
export class WebhookEndpoint {
  [OptionalProps]?: 'enabled' | 'description' | 'failingSince' | 'disabledAt' | 'deletedAt' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Property({ type: 'text' })
  url!: string;

  /** Empty: every event type. */
  @Property({ type: 'text[]' })
  eventTypes!: string[];

  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  /** whsec_ + base64 of 32 random bytes: the Standard Webhooks signing key. */
  @Property({ type: 'text' })
  secret!: string;

  @Property({ type: 'boolean' })
  enabled: boolean = true;

  /** The first failed attempt since the last success; the endpoint is disabled once this is 5 days old. */
  @Property({ type: 'timestamptz', nullable: true })
  failingSince: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  disabledAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  deletedAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/** One event, written to the outbox in the transaction of the change that caused it. Its id is the webhook-id. */
@Entity({ tableName: 'webhook_events' })
@Index({ properties: ['memberId'] })
export class WebhookEvent {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'uuid', nullable: true })
  memberId: string | null = null;

  @Property({ type: 'jsonb' })
  data!: Record<string, unknown>;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

/**
 * One event to one endpoint: PENDING until an attempt gets a 2xx (SUCCEEDED) or the retries run out (FAILED).
 * `sequence` orders a member's deliveries to an endpoint; a worker claims a delivery by setting `leasedUntil`.
 */
@Entity({ tableName: 'webhook_deliveries' })
@Index({ name: 'webhook_deliveries_due_idx', expression: `create index "webhook_deliveries_due_idx" on "webhook_deliveries" ("next_attempt_at") where "status" = 'PENDING'` })
@Index({ properties: ['endpointId', 'memberId', 'sequence'] })
@Index({ properties: ['endpointId', 'sequence'] })
export class WebhookDelivery {
  [OptionalProps]?: 'status' | 'attempts' | 'lastStatusCode' | 'leasedUntil' | 'memberId';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  sequence!: string;

  @Property({ type: 'uuid' })
  endpointId!: string;

  @Property({ type: 'text' })
  eventId!: string;

  @Property({ type: 'text' })
  eventType!: string;

  @Property({ type: 'uuid', nullable: true })
  memberId: string | null = null;

  @Enum({ items: () => WebhookDeliveryStatus })
  status: WebhookDeliveryStatus = WebhookDeliveryStatus.PENDING;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'integer', nullable: true })
  lastStatusCode: number | null = null;

  /** Null once SUCCEEDED or FAILED. */
  @Property({ type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  leasedUntil: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}

/** Every attempt of a delivery and what it got: the HTTP status, or the error when there was no answer. */
@Entity({ tableName: 'webhook_delivery_attempts' })
@Index({ properties: ['deliverySequence'] })
export class WebhookDeliveryAttempt {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'bigint' })
  deliverySequence!: string;

  @Property({ type: 'integer' })
  attempt!: number;

  @Property({ type: 'integer', nullable: true })
  statusCode: number | null = null;

  @Property({ type: 'text', nullable: true })
  error: string | null = null;

  @Property({ type: 'timestamptz' })
  attemptedAt!: Date;
}
