import { useCallback, useEffect, useState } from 'react';
import { Button, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { request } from '../api';
import { auditMatches } from '../forms';
import { AUDIT, AuditEntry, AuditTable } from './AuditTable';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
