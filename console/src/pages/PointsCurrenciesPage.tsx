import { useCallback, useEffect, useState } from 'react';
import { Button, Card, Modal, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { ConsolePointsCurrenciesQuery } from '../gql/graphql';
import { request } from '../api';
import { ConfigForm, FieldSpec } from '../ConfigForm';
import { FormValues, pointsCurrencyInput } from '../forms';
import { SimpleTable } from '../SimpleTable';

const CURRENCIES = graphql(`
  query ConsolePointsCurrencies { pointsCurrencies { code name valueInBase earnRate expiryMonths earnsOnOrders } }
`);
const CREATE = graphql(`
  mutation ConsoleCreatePointsCurrency($input: CreatePointsCurrencyInput!) { createPointsCurrency(input: $input) { code } }
`);
const UPDATE = graphql(`
  mutation ConsoleUpdatePointsCurrency($input: UpdatePointsCurrencyInput!) { updatePointsCurrency(input: $input) { code } }
`);

type Currency = ConsolePointsCurrenciesQuery['pointsCurrencies'][number];

const blank: FormValues = { code: '', name: '', valueInBase: '', earnRate: '1', expiryMonths: '12', earnsOnOrders: false };

function valuesOf(currency: Currency): FormValues {
  return { ...currency, expiryMonths: String(currency.expiryMonths) };
}

export function PointsCurrenciesPage() {
  const { t } = useTranslation();
  const [currencies, setCurrencies] = useState<Currency[] | null>(null);
  const [formKey, setFormKey] = useState(0);
  const [editing, setEditing] = useState<Currency | null>(null);
  const load = useCallback(async () => setCurrencies((await request(CURRENCIES)).pointsCurrencies), []);
  useEffect(() => {
    void load();
  }, [load]);
  const fields = (creating: boolean): FieldSpec[] => [
    { name: 'code', label: t('currencies.code'), disabled: !creating },
    { name: 'name', label: t('currencies.name') },
    { name: 'valueInBase', label: t('currencies.valueInBase'), description: creating ? t('currencies.valueHint') : t('currencies.valueEditHint') },
    { name: 'earnRate', label: t('currencies.earnRate'), description: creating ? t('currencies.earnRateHint') : t('currencies.fromNowHint') },
    { name: 'expiryMonths', label: t('currencies.expiryMonths'), description: creating ? undefined : t('currencies.expiryEditHint') },
    { name: 'earnsOnOrders', label: t('currencies.earnsOnOrders'), kind: 'checkbox' },
  ];
  const saved = () => notifications.show({ message: t('app.saved'), closeButtonProps: { 'aria-label': t('app.close') } });
  return (
    <Stack>
      <Title order={2}>{t('currencies.title')}</Title>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {currencies === null ? (
          <Text>{t('app.loading')}</Text>
        ) : (
          <SimpleTable
            testId="points-currencies"
            labels={[t('currencies.code'), t('currencies.name'), t('currencies.valueInBase'), t('currencies.earnRate'), t('currencies.expiryMonths'), t('currencies.earnsOnOrders'), '']}
            rows={currencies.map((currency) => ({
              key: currency.code,
              cells: [
                currency.code,
                currency.name,
                currency.valueInBase,
                currency.earnRate,
                currency.expiryMonths,
                currency.earnsOnOrders ? t('app.yes') : t('app.no'),
                <Button size="xs" variant="default" onClick={() => setEditing(currency)} aria-label={`${t('currencies.edit')} ${currency.code}`}>
                  {t('currencies.edit')}
                </Button>,
              ],
            }))}
          />
        )}
        <Card withBorder component="section" aria-labelledby="currency-new-title">
          <Title order={3} size="h4" id="currency-new-title">
            {t('currencies.new')}
          </Title>
          <ConfigForm
            key={formKey}
            testId="points-currency-form"
            fields={fields(true)}
            initial={blank}
            submitLabel={t('app.save')}
            toInput={pointsCurrencyInput}
            save={(input) => request(CREATE, { input })}
            onSaved={() => {
              saved();
              setFormKey((key) => key + 1);
              void load();
            }}
          />
        </Card>
      </SimpleGrid>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} closeButtonProps={{ 'aria-label': t('app.close') }} title={`${t('currencies.edit')} ${editing?.code ?? ''}`} size="lg">
        {editing !== null && (
          <ConfigForm
            testId="points-currency-edit-form"
            fields={fields(false)}
            initial={valuesOf(editing)}
            submitLabel={t('app.save')}
            toInput={pointsCurrencyInput}
            save={(input) => request(UPDATE, { input })}
            onSaved={() => {
              setEditing(null);
              saved();
              void load();
            }}
          />
        )}
      </Modal>
    </Stack>
  );
}
