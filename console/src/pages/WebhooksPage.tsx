import { useCallback, useEffect, useState } from 'react';
import { Alert, Badge, Button, Card, Code, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { ConsoleWebhookDeliveriesQuery, ConsoleWebhooksQuery } from '../gql/graphql';
import { request } from '../api';
import { ConfigForm } from '../ConfigForm';
import { optionalText, requireFields } from '../forms';
import { formatDateTime } from '../format';
import { SimpleTable } from '../SimpleTable';

const ENDPOINTS = graphql(`
  query ConsoleWebhooks { webhookEndpoints { id url description enabled eventTypes createdAt } }
`);
const DELIVERIES = graphql(`
  query ConsoleWebhookDeliveries($endpointId: ID!) {
    webhookDeliveries(endpointId: $endpointId, first: 50) { edges { node { id eventType status attempts lastStatusCode nextAttemptAt createdAt } } }
  }
`);
const CREATE = graphql(`
  mutation ConsoleCreateWebhook($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }
`);
const DELETE = graphql(`
  mutation ConsoleDeleteWebhook($id: ID!) { deleteWebhookEndpoint(id: $id) { id } }
`);

export function WebhooksPage() {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [endpoints, setEndpoints] = useState<ConsoleWebhooksQuery['webhookEndpoints'] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [deliveries, setDeliveries] = useState<ConsoleWebhookDeliveriesQuery['webhookDeliveries']['edges']>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const [formKey, setFormKey] = useState(0);
  const load = useCallback(async () => setEndpoints((await request(ENDPOINTS)).webhookEndpoints), []);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (selected) void request(DELIVERIES, { endpointId: selected }).then((data) => setDeliveries(data.webhookDeliveries.edges));
  }, [selected]);
  return (
    <Stack>
      <Title order={2}>{t('webhooks.title')}</Title>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {endpoints === null ? (
          <Text>{t('app.loading')}</Text>
        ) : (
          <SimpleTable
            testId="webhook-endpoints"
            labels={[t('webhooks.url'), t('webhooks.events'), t('webhooks.enabled'), '']}
            rows={endpoints.map((endpoint) => ({
              key: endpoint.id,
              cells: [
                <Text size="sm" style={{ overflowWrap: 'anywhere' }}>{endpoint.url}</Text>,
                endpoint.eventTypes.length ? endpoint.eventTypes.join(', ') : t('webhooks.allEvents'),
                endpoint.enabled ? t('app.yes') : t('app.no'),
                <Group gap="xs" wrap="nowrap">
                  <Button size="xs" variant="default" onClick={() => setSelected(endpoint.id)} aria-label={`${t('webhooks.deliveries')} ${endpoint.url}`}>
                    {t('webhooks.deliveries')}
                  </Button>
                  <Button size="xs" color="red" variant="light" onClick={() => void request(DELETE, { id: endpoint.id }).then(load)} aria-label={`${t('webhooks.delete')} ${endpoint.url}`}>
                    {t('webhooks.delete')}
                  </Button>
                </Group>,
              ],
            }))}
          />
        )}
        <Card withBorder component="section" aria-labelledby="webhook-new-title">
          <Title order={3} size="h4" id="webhook-new-title">
            {t('webhooks.new')}
          </Title>
          {secret && (
            <Alert color="yellow" title={t('webhooks.secretTitle')} mb="sm">
              <Code>{secret}</Code>
            </Alert>
          )}
          <ConfigForm
            key={formKey}
            testId="webhook-form"
            fields={[
              { name: 'url', label: t('webhooks.url') },
              { name: 'description', label: t('webhooks.description') },
              { name: 'eventTypes', label: t('webhooks.events'), description: t('webhooks.eventsHint') },
            ]}
            initial={{ url: '', description: '', eventTypes: '' }}
            submitLabel={t('app.save')}
            toInput={(values) => {
              const errors = requireFields(values, ['url']);
              if (Object.keys(errors).length) return { input: null, errors };
              const eventTypes = String(values.eventTypes).split(/[\s,]+/).filter(Boolean);
              return { input: { url: String(values.url).trim(), description: optionalText(values.description), eventTypes: eventTypes.length ? eventTypes : null }, errors };
            }}
            save={async (input) => setSecret((await request(CREATE, { input })).createWebhookEndpoint.secret)}
            onSaved={() => {
              setFormKey((key) => key + 1);
              void load();
            }}
          />
        </Card>
      </SimpleGrid>
      {selected && (
        <>
          <Title order={3} size="h4">
            {t('webhooks.deliveries')}
          </Title>
          <SimpleTable
            testId="webhook-deliveries"
            labels={[t('webhooks.createdAt'), t('webhooks.eventType'), t('webhooks.status'), t('webhooks.attempts'), t('webhooks.lastStatus'), t('webhooks.nextAttempt')]}
            rows={deliveries.map(({ node }) => ({
              key: node.id,
              cells: [
                formatDateTime(node.createdAt, locale),
                node.eventType,
                <Badge variant="light" color="dark">{t(`webhooks.statuses.${node.status}`)}</Badge>,
                node.attempts,
                node.lastStatusCode ?? '—',
                formatDateTime(node.nextAttemptAt, locale),
              ],
            }))}
          />
        </>
      )}
    </Stack>
  );
}
