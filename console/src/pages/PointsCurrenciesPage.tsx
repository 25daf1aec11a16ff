import { useCallback, useEffect, useState } from 'react';
import { Card, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { ConsolePointsCurrenciesQuery } from '../gql/graphql';
import { request } from '../api';
import { ConfigForm } from '../ConfigForm';
import { optionalWhole, requireFields } from '../forms';
import { SimpleTable } from '../SimpleTable';

const CURRENCIES = graphql(`
  query ConsolePointsCurrencies { pointsCurrencies { code name valueInBase earnRate expiryMonths earnsOnOrders } }
`);
const CREATE = graphql(`
  mutation ConsoleCreatePointsCurrency($input: CreatePointsCurrencyInput!) { createPointsCurrency(input: $input) { code } }
`);

export function PointsCurrenciesPage() {
  const { t } = useTranslation();
  const [currencies, setCurrencies] = useState<ConsolePointsCurrenciesQuery['pointsCurrencies'] | null>(null);
  const [formKey, setFormKey] = useState(0);
  const load = useCallback(async () => setCurrencies((await request(CURRENCIES)).pointsCurrencies), []);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <Stack>
      <Title order={2}>{t('currencies.title')}</Title>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {currencies === null ? (
          <Text>{t('app.loading')}</Text>
        ) : (
          <SimpleTable
            testId="points-currencies"
            labels={[t('currencies.code'), t('currencies.name'), t('currencies.valueInBase'), t('currencies.earnRate'), t('currencies.expiryMonths'), t('currencies.earnsOnOrders')]}
            rows={currencies.map((currency) => ({
              key: currency.code,
              cells: [currency.code, currency.name, currency.valueInBase, currency.earnRate, currency.expiryMonths, currency.earnsOnOrders ? t('app.yes') : t('app.no')],
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
            fields={[
              { name: 'code', label: t('currencies.code') },
              { name: 'name', label: t('currencies.name') },
              { name: 'valueInBase', label: t('currencies.valueInBase'), description: t('currencies.valueHint') },
              { name: 'earnRate', label: t('currencies.earnRate'), description: t('currencies.earnRateHint') },
              { name: 'expiryMonths', label: t('currencies.expiryMonths') },
              { name: 'earnsOnOrders', label: t('currencies.earnsOnOrders'), kind: 'checkbox' },
            ]}
            initial={{ code: '', name: '', valueInBase: '', earnRate: '1', expiryMonths: '12', earnsOnOrders: false }}
            submitLabel={t('app.save')}
            toInput={(values) => {
              const errors = requireFields(values, ['code', 'name', 'valueInBase', 'earnRate', 'expiryMonths']);
              const expiryMonths = optionalWhole(values.expiryMonths);
              if (expiryMonths === 'notWhole') errors.expiryMonths = 'notWhole';
              if (Object.keys(errors).length) return { input: null, errors };
              return {
                input: {
                  code: String(values.code).trim(),
                  name: String(values.name).trim(),
                  valueInBase: String(values.valueInBase).trim(),
                  earnRate: String(values.earnRate).trim(),
                  expiryMonths: expiryMonths as number,
                  earnsOnOrders: values.earnsOnOrders === true,
                },
                errors,
              };
            }}
            save={(input) => request(CREATE, { input })}
            onSaved={() => {
              notifications.show({ message: t('app.saved'), closeButtonProps: { 'aria-label': t('app.close') } });
              setFormKey((key) => key + 1);
              void load();
            }}
          />
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
