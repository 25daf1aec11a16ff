import { useCallback, useEffect, useState } from 'react';
import { Anchor, Button, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { ConsoleAuditQuery } from '../gql/graphql';
import { request } from '../api';
import { auditMatches } from '../forms';
import { formatDateTime } from '../format';
import { hrefFor } from '../route';
import { SimpleTable } from '../SimpleTable';

export const AUDIT = graphql(`
  query ConsoleAudit($memberId: ID, $after: String) {
    auditLog(memberId: $memberId, first: 100, after: $after) {
      edges { node { id at action actor actorRole memberIds details } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export type AuditEntry = ConsoleAuditQuery['auditLog']['edges'][number]['node'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Audit entries as a table; `memberLinks` links each member id to its page. */
export function AuditTable({ entries, testId }: { entries: AuditEntry[]; testId?: string }) {
  const { t, i18n } = useTranslation();
  return (
    <SimpleTable
      testId={testId}
      labels={[t('audit.at'), t('audit.action'), t('audit.actor'), t('audit.members'), t('audit.details')]}
      rows={entries.map((entry) => ({
        key: entry.id,
        cells: [
          formatDateTime(entry.at, i18n.language),
          entry.action,
          `${entry.actorRole}: ${entry.actor}`,
          <Group gap={4}>
            {entry.memberIds.map((id) => (
              <Anchor key={id} size="sm" href={hrefFor({ page: 'member', id })}>
                {id.slice(0, 8)}
              </Anchor>
            ))}
          </Group>,
          <Text size="xs" style={{ overflowWrap: 'anywhere' }}>{entry.details ?? ''}</Text>,
        ],
      }))}
    />
  );
}

export function AuditPage() {
  const { t } = useTranslation();
  const [memberId, setMemberId] = useState('');
  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const member = UUID.test(memberId.trim()) ? memberId.trim() : null;
  const load = useCallback(
    async (after: string | null) => {
      const data = await request(AUDIT, { memberId: member, after });
      const page = data.auditLog.edges.map((edge) => edge.node);
      setEntries((previous) => (after ? [...(previous ?? []), ...page] : page));
      setNext(data.auditLog.pageInfo.hasNextPage ? data.auditLog.pageInfo.endCursor ?? null : null);
    },
    [member],
  );
  useEffect(() => {
    void load(null);
  }, [load]);
  const shown = (entries ?? []).filter((entry) => auditMatches(entry, { action, actor }));
  return (
    <Stack>
      <Title order={2}>{t('audit.title')}</Title>
      <Group align="flex-end">
        <TextInput label={t('audit.memberId')} value={memberId} onChange={(event) => setMemberId(event.currentTarget.value)} error={memberId.trim() && !member ? t('audit.notMemberId') : undefined} w={340} />
        <TextInput label={t('audit.action')} value={action} onChange={(event) => setAction(event.currentTarget.value)} placeholder="points.adjust" />
        <TextInput label={t('audit.actor')} value={actor} onChange={(event) => setActor(event.currentTarget.value)} />
      </Group>
      {entries === null ? <Text>{t('app.loading')}</Text> : <AuditTable entries={shown} testId="audit-log" />}
      {next && (
        <Button variant="default" onClick={() => void load(next)}>
          {t('app.more')}
        </Button>
      )}
    </Stack>
  );
}
