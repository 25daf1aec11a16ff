import { useCallback, useEffect, useState } from 'react';
import { Button, Group, NativeSelect, Stack, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { request } from '../api';
import { auditFilterVariables } from '../forms';
import { AUDIT, AuditEntry, AuditTable } from './AuditTable';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLES = ['admin', 'support', 'storefront', 'member', 'system'];

/** The audit log, filtered by the API (member, action, actor, role), newest first, a page of 100 at a time. */
export function AuditPage() {
  const { t } = useTranslation();
  const [filters, setFilters] = useState({ memberId: '', action: '', actor: '', actorRole: '' });
  const [applied, setApplied] = useState(filters);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const memberIdWrong = filters.memberId.trim() !== '' && !UUID.test(filters.memberId.trim());
  const load = useCallback(
    async (after: string | null) => {
      setError(null);
      try {
        const data = await request(AUDIT, { memberId: applied.memberId.trim() || null, ...auditFilterVariables(applied), after });
        const page = data.auditLog.edges.map((edge) => edge.node);
        setEntries((previous) => (after ? [...(previous ?? []), ...page] : page));
        setNext(data.auditLog.pageInfo.hasNextPage ? data.auditLog.pageInfo.endCursor ?? null : null);
      } catch (caught) {
        setError(caught instanceof Error ? caught.message : String(caught));
        setEntries([]);
        setNext(null);
      }
    },
    [applied],
  );
  useEffect(() => {
    void load(null);
  }, [load]);
  const set = (name: keyof typeof filters, value: string) => setFilters((previous) => ({ ...previous, [name]: value }));
  return (
    <Stack>
      <Title order={2}>{t('audit.title')}</Title>
      <form
        data-testid="audit-filters"
        onSubmit={(event) => {
          event.preventDefault();
          if (!memberIdWrong) setApplied(filters);
        }}
      >
        <Group align="flex-end">
          <TextInput label={t('audit.memberId')} value={filters.memberId} onChange={(event) => set('memberId', event.currentTarget.value)} error={memberIdWrong ? t('audit.notMemberId') : undefined} w={340} />
          <TextInput label={t('audit.action')} value={filters.action} onChange={(event) => set('action', event.currentTarget.value)} placeholder="points.adjust" />
          <TextInput label={t('audit.actor')} value={filters.actor} onChange={(event) => set('actor', event.currentTarget.value)} />
          <NativeSelect
            label={t('audit.role')}
            value={filters.actorRole}
            onChange={(event) => set('actorRole', event.currentTarget.value)}
            data={[{ value: '', label: t('audit.anyRole') }, ...ROLES.map((role) => ({ value: role, label: t(`audit.roles.${role}`) }))]}
          />
          <Button type="submit">{t('audit.apply')}</Button>
        </Group>
      </form>
      {error && (
        <Text c="red" role="alert">
          {error}
        </Text>
      )}
      {entries === null ? <Text>{t('app.loading')}</Text> : <AuditTable entries={entries} testId="audit-log" />}
      {next && (
        <Button variant="default" onClick={() => void load(next)}>
          {t('app.more')}
        </Button>
      )}
    </Stack>
  );
}
