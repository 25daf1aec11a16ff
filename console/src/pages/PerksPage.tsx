import { useCallback, useEffect, useState } from 'react';
import { Badge, Button, CloseButton, Card, Group, Modal, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { ConsolePerksQuery } from '../gql/graphql';
import { request } from '../api';
import { ConfigForm } from '../ConfigForm';
import { FormValues, optionalText, requireFields } from '../forms';
import { SimpleTable } from '../SimpleTable';

const PERKS = graphql(`
  query ConsolePerks($locale: String) { perks { code name(locale: $locale) supportPriority sources } }
`);
const CREATE = graphql(`
  mutation ConsoleCreatePerk($input: PerkInput!) { createPerk(input: $input) { code } }
`);
const UPDATE = graphql(`
  mutation ConsoleUpdatePerk($input: PerkInput!) { updatePerk(input: $input) { code } }
`);
const GRANT = graphql(`
  mutation ConsoleGrantPerk($perkCode: String!, $source: String!) { grantPerk(perkCode: $perkCode, source: $source) { code } }
`);
const REVOKE = graphql(`
  mutation ConsoleRevokePerk($perkCode: String!, $source: String!) { revokePerk(perkCode: $perkCode, source: $source) }
`);

type Perk = ConsolePerksQuery['perks'][number];
type Priority = 'PRIORITY' | 'DEDICATED' | 'STANDARD';

export function PerksPage() {
  const { t, i18n } = useTranslation();
  const [perks, setPerks] = useState<Perk[] | null>(null);
  const [editing, setEditing] = useState<Perk | 'new' | null>(null);
  const [grantKey, setGrantKey] = useState(0);
  const load = useCallback(async () => setPerks((await request(PERKS, { locale: i18n.language })).perks), [i18n.language]);
  useEffect(() => {
    void load();
  }, [load]);
  const saved = () => {
    notifications.show({ message: t('app.saved'), closeButtonProps: { 'aria-label': t('app.close') } });
    void load();
  };
  const priorities = (['PRIORITY', 'DEDICATED'] as const).map((value) => ({ value, label: t(`priority.${value}`) }));
  const perkInput = (values: FormValues) => {
    const errors = requireFields(values, ['code', 'name']);
    if (Object.keys(errors).length) return { input: null, errors };
    return { input: { code: String(values.code).trim(), name: String(values.name).trim(), supportPriority: (optionalText(values.supportPriority) as Priority | null) ?? null }, errors };
  };
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('perks.title')}</Title>
        <Button onClick={() => setEditing('new')}>{t('perks.new')}</Button>
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {perks === null ? (
          <Text>{t('app.loading')}</Text>
        ) : (
          <SimpleTable
            testId="perks"
            labels={[t('perks.code'), t('perks.name'), t('perks.priority'), t('perks.sources'), '']}
            rows={perks.map((perk) => ({
              key: perk.code,
              cells: [
                perk.code,
                perk.name,
                perk.supportPriority ? t(`priority.${perk.supportPriority}`) : '—',
                <Group gap={4}>
                  {perk.sources.map((source) => (
                    <Badge key={source} variant="light" color="dark" rightSection={<CloseButton size="xs" aria-label={t('perks.revoke', { source, perk: perk.code })} onClick={() => void request(REVOKE, { perkCode: perk.code, source }).then(saved)} />}>
                      {source}
                    </Badge>
                  ))}
                </Group>,
                <Button size="xs" variant="default" onClick={() => setEditing(perk)} aria-label={`${t('perks.edit')} ${perk.code}`}>
                  {t('perks.edit')}
                </Button>,
              ],
            }))}
          />
        )}
        <Card withBorder component="section" aria-labelledby="perk-grant-title">
          <Title order={3} size="h4" id="perk-grant-title">
            {t('perks.grant')}
          </Title>
          <ConfigForm
            key={grantKey}
            testId="perk-grant-form"
            fields={[
              { name: 'perkCode', label: t('perks.code'), kind: 'select', options: (perks ?? []).map((perk) => ({ value: perk.code, label: `${perk.code} · ${perk.name}` })) },
              { name: 'source', label: t('perks.source'), description: t('perks.sourceHint') },
            ]}
            initial={{ perkCode: '', source: '' }}
            submitLabel={t('perks.grantSubmit')}
            toInput={(values) => {
              const errors = requireFields(values, ['perkCode', 'source']);
              return Object.keys(errors).length ? { input: null, errors } : { input: { perkCode: String(values.perkCode), source: String(values.source).trim() }, errors };
            }}
            save={(input) => request(GRANT, input)}
            onSaved={() => {
              setGrantKey((key) => key + 1);
              saved();
            }}
          />
        </Card>
      </SimpleGrid>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} closeButtonProps={{ 'aria-label': t('app.close') }} title={editing === 'new' ? t('perks.new') : t('perks.edit')}>
        {editing !== null && (
          <ConfigForm
            testId="perk-form"
            fields={[
              { name: 'code', label: t('perks.code'), disabled: editing !== 'new' },
              { name: 'name', label: t('perks.name') },
              { name: 'supportPriority', label: t('perks.priority'), kind: 'select', options: priorities },
            ]}
            initial={editing === 'new' ? { code: '', name: '', supportPriority: '' } : { code: editing.code, name: editing.name, supportPriority: editing.supportPriority ?? '' }}
            submitLabel={t('app.save')}
            toInput={perkInput}
            save={(input) => (editing === 'new' ? request(CREATE, { input }) : request(UPDATE, { input }))}
            onSaved={() => {
              setEditing(null);
              saved();
            }}
          />
        )}
      </Modal>
    </Stack>
  );
}
