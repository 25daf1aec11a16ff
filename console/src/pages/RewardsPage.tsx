import { useCallback, useEffect, useState } from 'react';
import { Button, Group, Modal, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { ConsoleRewardsQuery } from '../gql/graphql';
import { request } from '../api';
import { ConfigForm } from '../ConfigForm';
import { FieldErrors, FormValues, optionalText, optionalWhole, requireFields } from '../forms';
import { formatDate } from '../format';
import { SimpleTable } from '../SimpleTable';

const REWARDS = graphql(`
  query ConsoleRewards($locale: String, $after: String) {
    rewards(first: 100, after: $after) {
      edges { node { id code name(locale: $locale) kind cost currency stockRemaining perMemberLimit minTierCode startsAt endsAt retiredAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
const CREATE = graphql(`
  mutation ConsoleCreateReward($input: CreateRewardInput!) { createReward(input: $input) { id } }
`);
const UPDATE = graphql(`
  mutation ConsoleUpdateReward($input: UpdateRewardInput!) { updateReward(input: $input) { id } }
`);
const RETIRE = graphql(`
  mutation ConsoleRetireReward($id: ID!) { retireReward(id: $id) { id } }
`);

type Reward = ConsoleRewardsQuery['rewards']['edges'][number]['node'];

/** Whole-number fields of the reward form: null when empty, else an error or the number. */
function wholeFields(values: FormValues, names: string[], errors: FieldErrors): Record<string, number | null> {
  const result: Record<string, number | null> = {};
  for (const name of names) {
    const value = optionalWhole(values[name]);
    if (value === 'notWhole') errors[name] = 'notWhole';
    else result[name] = value;
  }
  return result;
}

export function RewardsPage() {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [rewards, setRewards] = useState<Reward[] | null>(null);
  const [editing, setEditing] = useState<Reward | 'new' | null>(null);
  const load = useCallback(async () => setRewards((await request(REWARDS, { locale })).rewards.edges.map((edge) => edge.node)), [locale]);
  useEffect(() => {
    void load();
  }, [load]);
  const saved = () => {
    setEditing(null);
    notifications.show({ message: t('app.saved'), closeButtonProps: { 'aria-label': t('app.close') } });
    void load();
  };
  const kinds = (['PRODUCT', 'FIXED_DISCOUNT', 'PERCENT_DISCOUNT', 'FREE_SHIPPING'] as const).map((value) => ({ value, label: t(`rewards.kinds.${value}`) }));
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('rewards.title')}</Title>
        <Button onClick={() => setEditing('new')}>{t('rewards.new')}</Button>
      </Group>
      {rewards === null ? (
        <Text>{t('app.loading')}</Text>
      ) : (
        <SimpleTable
          testId="rewards"
          labels={[t('rewards.code'), t('rewards.name'), t('rewards.kind'), t('rewards.cost'), t('rewards.stock'), t('rewards.window'), '']}
          rows={rewards.map((reward) => ({
            key: reward.id,
            cells: [
              reward.code,
              reward.name,
              t(`rewards.kinds.${reward.kind}`),
              `${reward.cost} ${reward.currency}`,
              reward.stockRemaining ?? t('rewards.unlimited'),
              reward.startsAt || reward.endsAt ? `${formatDate(reward.startsAt, locale)} – ${formatDate(reward.endsAt, locale)}` : '—',
              <Group gap="xs" wrap="nowrap">
                <Button size="xs" variant="default" onClick={() => setEditing(reward)} aria-label={`${t('rewards.edit')} ${reward.code}`}>
                  {t('rewards.edit')}
                </Button>
                <Button size="xs" color="red" variant="light" onClick={() => void request(RETIRE, { id: reward.id }).then(saved)} aria-label={`${t('rewards.retire')} ${reward.code}`}>
                  {t('rewards.retire')}
                </Button>
              </Group>,
            ],
          }))}
        />
      )}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} closeButtonProps={{ 'aria-label': t('app.close') }} title={editing === 'new' ? t('rewards.new') : t('rewards.edit')}>
        {editing === 'new' ? (
          <ConfigForm
            testId="reward-form"
            fields={[
              { name: 'code', label: t('rewards.code') },
              { name: 'name', label: t('rewards.name') },
              { name: 'kind', label: t('rewards.kind'), kind: 'select', options: kinds },
              { name: 'cost', label: t('rewards.cost') },
              { name: 'currency', label: t('rewards.currency') },
              { name: 'stock', label: t('rewards.stock'), description: t('rewards.stockHint') },
              { name: 'perMemberLimit', label: t('rewards.perMemberLimit') },
              { name: 'percentOff', label: t('rewards.percentOff') },
              { name: 'voucherValidDays', label: t('rewards.voucherValidDays') },
            ]}
            initial={{ code: '', name: '', kind: 'PRODUCT', cost: '', currency: 'PTS', stock: '', perMemberLimit: '', percentOff: '', voucherValidDays: '' }}
            submitLabel={t('app.save')}
            toInput={(values) => {
              const errors = requireFields(values, ['code', 'name', 'cost']);
              const numbers = wholeFields(values, ['cost', 'stock', 'perMemberLimit', 'percentOff', 'voucherValidDays'], errors);
              if (Object.keys(errors).length) return { input: null, errors };
              return {
                input: {
                  code: String(values.code).trim(),
                  name: String(values.name).trim(),
                  kind: (optionalText(values.kind) ?? 'PRODUCT') as 'PRODUCT',
                  cost: numbers.cost as number,
                  currency: optionalText(values.currency) ?? 'PTS',
                  stock: numbers.stock,
                  perMemberLimit: numbers.perMemberLimit,
                  percentOff: numbers.percentOff,
                  voucherValidDays: numbers.voucherValidDays,
                },
                errors,
              };
            }}
            save={(input) => request(CREATE, { input })}
            onSaved={saved}
          />
        ) : editing ? (
          <ConfigForm
            testId="reward-form"
            fields={[
              { name: 'name', label: t('rewards.name') },
              { name: 'cost', label: t('rewards.cost') },
              { name: 'addStock', label: t('rewards.addStock'), description: t('rewards.addStockHint', { stock: editing.stockRemaining ?? t('rewards.unlimited') }) },
              { name: 'perMemberLimit', label: t('rewards.perMemberLimit') },
            ]}
            initial={{ name: editing.name, cost: String(editing.cost), addStock: '', perMemberLimit: editing.perMemberLimit === null || editing.perMemberLimit === undefined ? '' : String(editing.perMemberLimit) }}
            submitLabel={t('app.save')}
            toInput={(values) => {
              const errors = requireFields(values, ['name', 'cost']);
              const numbers = wholeFields(values, ['cost', 'addStock', 'perMemberLimit'], errors);
              if (Object.keys(errors).length) return { input: null, errors };
              return {
                input: {
                  id: editing.id,
                  name: String(values.name).trim(),
                  cost: numbers.cost,
                  ...(numbers.addStock !== null ? { addStock: numbers.addStock } : {}),
                  ...(numbers.perMemberLimit !== null ? { perMemberLimit: numbers.perMemberLimit } : {}),
                },
                errors,
              };
            }}
            save={(input) => request(UPDATE, { input })}
            onSaved={saved}
          />
        ) : null}
      </Modal>
    </Stack>
  );
}
