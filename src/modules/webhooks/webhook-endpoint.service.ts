import { randomBytes } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import { BadUserInputError, checkFields, NotFoundError } from '../../errors';
import type { RequestScope } from '../../graphql/context';
import { bigintKeyOrFail, Connection, PageRequest, toConnection } from '../../graphql/pagination';
import { uuidOrFail } from '../../validation';
import type { AuditService } from '../audit/audit.service';
import { WEBHOOK_EVENT_TYPES } from './outbox';
import { WebhookDelivery, WebhookEndpoint } from './webhook.entity';
import { webhookUrlProblem } from './webhook-url-policy';

export interface CreateWebhookEndpoint {
  url: string;
  eventTypes?: string[] | null;
  description?: string | null;
}

/** Admin management of outbound webhook endpoints (the resolver checks the role). Stateless: the scope comes with each call. */
export class WebhookEndpointService {
  constructor(private readonly audit: AuditService) {}

  /** Registers an endpoint; the signing secret (whsec_ + base64 of 32 random bytes) is returned here only. */
  async create(scope: RequestScope, input: CreateWebhookEndpoint): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const { url, eventTypes, description } = checkFields({
      url: () => {
        const url = input.url.trim();
        const problem = webhookUrlProblem(url, scope.config.webhooks.allowPrivateNetworks);
        if (problem) throw new BadUserInputError('url', problem);
        return url;
      },
      eventTypes: () => {
        const eventTypes = [...new Set((input.eventTypes ?? []).map((type) => type.trim()))].sort();
        const unknown = eventTypes.filter((type) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type));
        if (unknown.length) throw new BadUserInputError('eventTypes', `unknown event types ${unknown.join(', ')}; known: ${WEBHOOK_EVENT_TYPES.join(', ')}`);
        return eventTypes;
      },
      description: () => {
        const description = input.description?.trim() || null;
        if (description && description.length > 500) throw new BadUserInputError('description', 'must be at most 500 characters');
        return description;
      },
    });
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    return scope.em.fork().transactional(async (tx) => {
      const endpoint = tx.create(WebhookEndpoint, { url, eventTypes, description, secret });
      await tx.persistAndFlush(endpoint);
      await this.audit.record(scope, 'webhook-endpoint.create', [null], { endpointId: endpoint.id, url, eventTypes }, tx);
      return { endpoint, secret };
    });
  }

  /** Every endpoint not deleted, oldest first (disabled ones included: they show why deliveries stopped). */
  async list(scope: RequestScope): Promise<WebhookEndpoint[]> {
    return scope.em.fork().find(WebhookEndpoint, { deletedAt: null }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /** Stops delivering to an endpoint at once: it is disabled and its pending deliveries are dropped (FAILED). */
  async delete(scope: RequestScope, id: string, now: Date = new Date()): Promise<WebhookEndpoint> {
    const endpointId = uuidOrFail(id, 'id', 'is not a webhook endpoint id');
    return scope.em.fork().transactional(async (tx) => {
      const endpoint = await tx.findOne(WebhookEndpoint, { id: endpointId, deletedAt: null }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!endpoint) throw new NotFoundError('webhook endpoint');
      endpoint.enabled = false;
      endpoint.deletedAt = now;
      await tx.flush();
      await tx.execute(`update webhook_deliveries set status = 'FAILED', next_attempt_at = null where endpoint_id = ? and status = 'PENDING'`, [endpointId]);
      await this.audit.record(scope, 'webhook-endpoint.delete', [null], { endpointId }, tx);
      return endpoint;
    });
  }

  /** One endpoint's deliveries, newest first; the cursor is the delivery's sequence number. */
  async deliveries(scope: RequestScope, endpointId: string, page: PageRequest): Promise<Connection<WebhookDelivery>> {
    const id = uuidOrFail(endpointId, 'endpointId', 'is not a webhook endpoint id');
    bigintKeyOrFail(page.after);
    const em = scope.em.fork();
    if (!(await em.count(WebhookEndpoint, { id }))) throw new NotFoundError('webhook endpoint');
    const rows = await em.find(
      WebhookDelivery,
      { endpointId: id, ...(page.after ? { sequence: { $lt: page.after } } : {}) },
      { orderBy: { sequence: 'desc' }, limit: page.first + 1 },
    );
    return toConnection(rows, page, (delivery) => delivery.sequence);
  }
}
