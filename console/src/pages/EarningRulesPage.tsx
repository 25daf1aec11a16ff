import { useCallback, useEffect, useState } from 'react';
import { Badge, Button, Group, Modal, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { ConsoleEarningRulesQuery } from '../gql/graphql';
import { request } from '../api';
import { ConfigForm, FieldSpec } from '../ConfigForm';
import { earningRuleInput, FormValues, localFromInstant, ruleState } from '../forms';
import { formatDateTime, formatMoney } from '../format';
import { SimpleTable } from '../SimpleTable';

const RULES = graphql(`
  query ConsoleEarningRules {
    earningRules { id code name currency markets startsAt endsAt multiplier bonusPoints firstOrderOnly minOrder { amount currency } }
    tiers { threshold { currency } }
  }
`);
const CREATE = graphql(`
  mutation ConsoleCreateEarningRule($input: CreateEarningRuleInput!) { createEarningRule(input: $input) { id } }
`);
const UPDATE = graphql(`
  mutation ConsoleUpdateEarningRule($input: UpdateEarningRuleInput!) { updateEarningRule(input: $input) { id } }
`);
const END = graphql(`
  mutation ConsoleEndEarningRule($id: ID!) { endEarningRule(id: $id) { id endsAt } }
`);

type Rule = ConsoleEarningRulesQuery['earningRules'][number];

const blank: FormValues = { code: '', name: '', currency: 'PTS', markets: '', startsAt: '', endsAt: '', minOrder: '', firstOrderOnly: false, multiplier: '', bonusPoints: '' };

function valuesOf(rule: Rule): FormValues {
  return {
    code: rule.code,
    name: rule.name,
    currency: rule.currency,
    markets: rule.markets?.join(', ') ?? '',
    startsAt: localFromInstant(rule.startsAt),
    endsAt: localFromInstant(rule.endsAt),
    minOrder: rule.minOrder?.amount ?? '',
    firstOrderOnly: rule.firstOrderOnly,
    multiplier: rule.multiplier ?? '',
    bonusPoints: rule.bonusPoints === null || rule.bonusPoints === undefined ? '' : String(rule.bonusPoints),
  };
}

export function EarningRulesPage() {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [data, setData] = useState<ConsoleEarningRulesQuery | null>(null);
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const load = useCallback(async () => setData(await request(RULES)), []);
  useEffect(() => {
    void load();
  }, [load]);
  const base = data?.tiers[0]?.threshold.currency ?? 'USD';
  const creating = editing === 'new';
  const fields: FieldSpec[] = [
    { name: 'code', label: t('rules.code'), disabled: !creating },
    { name: 'name', label: t('rules.name') },
    { name: 'currency', label: t('rules.currency'), disabled: !creating },
    { name: 'markets', label: t('rules.markets'), description: t('rules.marketsHint') },
    { name: 'startsAt', label: t('rules.startsAt'), kind: 'datetime' },
    { name: 'endsAt', label: t('rules.endsAt'), kind: 'datetime' },
    { name: 'minOrder', label: t('rules.minOrder', { currency: base }) },
    { name: 'firstOrderOnly', label: t('rules.firstOrderOnly'), kind: 'checkbox' },
    { name: 'multiplier', label: t('rules.multiplier'), description: t('rules.multiplierHint') },
    { name: 'bonusPoints', label: t('rules.bonusPoints') },
  ];
  const end = async (rule: Rule) => {
    await request(END, { id: rule.id });
    notifications.show({ message: t('rules.ended', { code: rule.code }), closeButtonProps: { 'aria-label': t('app.close') } });
    await load();
  };
  const now = new Date();
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('rules.title')}</Title>
        <Button onClick={() => setEditing('new')}>{t('rules.new')}</Button>
      </Group>
      <Text size="sm">{t('rules.intro')}</Text>
      {data === null ? (
        <Text>{t('app.loading')}</Text>
      ) : (
        <SimpleTable
          testId="earning-rules"
          labels={[t('rules.code'), t('rules.name'), t('rules.state'), t('rules.window'), t('rules.markets'), t('rules.effect'), t('rules.minOrderShort'), '']}
          rows={data.earningRules.map((rule) => {
            const state = ruleState(rule, now);
            return {
              key: rule.id,
              cells: [
                rule.code,
                rule.name,
                <Badge variant="light" color="dark">{t(`rules.states.${state}`)}</Badge>,
                rule.startsAt || rule.endsAt ? `${formatDateTime(rule.startsAt, locale)} – ${formatDateTime(rule.endsAt, locale)}` : '—',
                rule.markets?.join(', ') ?? t('rules.allMarkets'),
                [rule.multiplier ? `×${rule.multiplier}` : null, rule.bonusPoints ? `+${rule.bonusPoints} ${rule.currency}` : null, rule.firstOrderOnly ? t('rules.firstOrderOnly') : null].filter(Boolean).join(' · '),
                rule.minOrder ? formatMoney(rule.minOrder.amount, rule.minOrder.currency, locale) : '—',
                <Group gap="xs" wrap="nowrap">
                  <Button size="xs" variant="default" onClick={() => setEditing(rule)} aria-label={`${t('rules.edit')} ${rule.code}`}>
                    {t('rules.edit')}
                  </Button>
                  {state !== 'ended' && (
                    <Button size="xs" color="red" variant="light" onClick={() => void end(rule)} aria-label={`${t('rules.end')} ${rule.code}`}>
                      {t('rules.end')}
                    </Button>
                  )}
                </Group>,
              ],
            };
          })}
        />
      )}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} closeButtonProps={{ 'aria-label': t('app.close') }} title={creating ? t('rules.new') : t('rules.edit')} size="lg">
        {editing !== null && (
          <ConfigForm
            testId="earning-rule-form"
            fields={fields}
            initial={creating ? blank : valuesOf(editing as Rule)}
            submitLabel={t('app.save')}
            toInput={(values) => earningRuleInput(values, base, creating)}
            save={async (input) => {
              const { code, currency, ...terms } = input;
              if (creating) await request(CREATE, { input: { code: code ?? '', currency, ...terms } });
              else await request(UPDATE, { input: { id: (editing as Rule).id, ...terms } });
            }}
            onSaved={() => {
              setEditing(null);
              notifications.show({ message: t('app.saved'), closeButtonProps: { 'aria-label': t('app.close') } });
              void load();
            }}
          />
        )}
      </Modal>
    </Stack>
  );
}
