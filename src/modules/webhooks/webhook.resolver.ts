import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { DEFAULT_PAGE_SIZE, pageRequest } from '../../graphql/pagination';
import { CreatedWebhookEndpointView, CreateWebhookEndpointInput, WebhookDeliveryConnection, WebhookDeliveryView, WebhookEndpointView } from './webhook.types';

@Resolver()
export class WebhookResolver {
  @Authorized('admin')
  @Query(() => [WebhookEndpointView], { description: 'Registered outbound webhook endpoints (admin).' })
  async webhookEndpoints(@Ctx() context: RequestContext): Promise<WebhookEndpointView[]> {
    return (await context.webhookEndpoints.list(context)).map(WebhookEndpointView.of);
  }

  @Authorized('admin')
  @Query(() => WebhookDeliveryConnection, { description: 'Deliveries to one endpoint, newest first (admin).' })
  async webhookDeliveries(
    @Ctx() context: RequestContext,
    @Arg('endpointId', () => ID) endpointId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    const connection = await context.webhookEndpoints.deliveries(context, endpointId, pageRequest(first ?? DEFAULT_PAGE_SIZE, after));
    return { ...connection, edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: WebhookDeliveryView.of(edge.node) })) };
  }

  @Authorized('admin')
  @Mutation(() => CreatedWebhookEndpointView, { description: 'Register an endpoint for outbound webhooks (admin). The signing secret is returned here only.' })
  async createWebhookEndpoint(@Ctx() context: RequestContext, @Arg('input') input: CreateWebhookEndpointInput): Promise<CreatedWebhookEndpointView> {
    const created = await context.webhookEndpoints.create(context, input);
    return Object.assign(new CreatedWebhookEndpointView(), { endpoint: WebhookEndpointView.of(created.endpoint), secret: created.secret });
  }

  @Authorized('admin')
  @Mutation(() => WebhookEndpointView, { description: 'Stop delivering to an endpoint (admin).' })
  async deleteWebhookEndpoint(@Ctx() context: RequestContext, @Arg('id', () => ID) id: string): Promise<WebhookEndpointView> {
    return WebhookEndpointView.of(await context.webhookEndpoints.delete(context, id));
  }
}
