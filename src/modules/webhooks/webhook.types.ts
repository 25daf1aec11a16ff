import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType } from '../../graphql/pagination';
import { WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint } from './webhook.entity';

registerEnumType(WebhookDeliveryStatus, { name: 'WebhookDeliveryStatus' });

@InputType()
export class CreateWebhookEndpointInput {
  @Field({ description: 'An https URL (http and private addresses only where the deployment allows them).' })
  url!: string;

  @Field(() => [String], { nullable: true, description: 'Event types to deliver; absent or empty for every type.' })
  eventTypes?: string[] | null;

  @Field(() => String, { nullable: true })
  description?: string | null;
}

@ObjectType('WebhookEndpoint')
export class WebhookEndpointView {
  @Field(() => ID)
  id!: string;

  @Field()
  url!: string;

  @Field(() => [String])
  eventTypes!: string[];

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field({ description: 'False once deleted, or disabled after failing for too long.' })
  enabled!: boolean;

  @Field()
  createdAt!: Date;

  static of(endpoint: WebhookEndpoint): WebhookEndpointView {
    const { id, url, eventTypes, description, enabled, createdAt } = endpoint;
    return Object.assign(new WebhookEndpointView(), { id, url, eventTypes, description, enabled, createdAt });
  }
}

@ObjectType('CreatedWebhookEndpoint')
export class CreatedWebhookEndpointView {
  @Field(() => WebhookEndpointView)
  endpoint!: WebhookEndpointView;

  @Field({ description: 'The signing secret, whsec_ followed by base64; shown only once.' })
  secret!: string;
}

@ObjectType('WebhookDelivery')
export class WebhookDeliveryView {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { description: 'The webhook-id header of the event.' })
  eventId!: string;

  @Field()
  eventType!: string;

  @Field(() => WebhookDeliveryStatus)
  status!: WebhookDeliveryStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int, { nullable: true, description: 'The HTTP status of the last attempt, null when it got no answer.' })
  lastStatusCode!: number | null;

  @Field(() => Date, { nullable: true })
  nextAttemptAt!: Date | null;

  @Field()
  createdAt!: Date;

  static of(delivery: WebhookDelivery): WebhookDeliveryView {
    const { sequence, eventId, eventType, status, attempts, lastStatusCode, nextAttemptAt, createdAt } = delivery;
    return Object.assign(new WebhookDeliveryView(), { id: sequence, eventId, eventType, status, attempts, lastStatusCode, nextAttemptAt, createdAt });
  }
}

export const WebhookDeliveryConnection = ConnectionType('WebhookDelivery', WebhookDeliveryView);
