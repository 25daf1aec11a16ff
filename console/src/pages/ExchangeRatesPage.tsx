import { useCallback, useEffect, useState } from 'react';
import { Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { ConsoleExchangeRateHistoryQuery, ConsoleExchangeRatesQuery } from '../gql/graphql';
import { request } from '../api';
import { ConfigForm } from '../ConfigForm';
import { instantFromLocal, requireFields } from '../forms';
import { formatDateTime } from '../format';
import { SimpleTable } from '../SimpleTable';

const RATES = graphql(`
  query ConsoleExchangeRates { exchangeRates { currency rate effectiveAt } }
`);
const HISTORY = graphql(`
  query ConsoleExchangeRateHistory($currency: String!) { exchangeRateHistory(currency: $currency, first: 50) { currency rate effectiveAt } }
`);
const SET_RATE = graphql(`
  mutation ConsoleSetExchangeRate($currency: String!, $rate: String!, $effectiveAt: DateTime) {
    setExchangeRate(currency: $currency, rate: $rate, effectiveAt: $effectiveAt) { currency rate effectiveAt }
  }
`);

export function ExchangeRatesPage() {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [rates, setRates] = useState<ConsoleExchangeRatesQuery['exchangeRates'] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [history, setHistory] = useState<ConsoleExchangeRateHistoryQuery['exchangeRateHistory']>([]);
  const [formKey, setFormKey] = useState(0);
  const load = useCallback(async () => setRates((await request(RATES)).exchangeRates), []);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (selected) void request(HISTORY, { currency: selected }).then((data) => setHistory(data.exchangeRateHistory));
  }, [selected, formKey]);
  return (
    <Stack>
      <Title order={2}>{t('fx.title')}</Title>
      <Text size="sm">{t('fx.intro')}</Text>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Stack>
          {rates === null ? (
            <Text>{t('app.loading')}</Text>
          ) : (
            <SimpleTable
              testId="exchange-rates"
              labels={[t('fx.currency'), t('fx.rate'), t('fx.effectiveAt'), '']}
              rows={rates.map((rate) => ({
                key: rate.currency,
                cells: [
                  rate.currency,
                  rate.rate,
                  formatDateTime(rate.effectiveAt, locale),
                  <Button size="xs" variant="default" onClick={() => setSelected(rate.currency)} aria-label={`${t('fx.history')} ${rate.currency}`}>
                    {t('fx.history')}
                  </Button>,
                ],
              }))}
            />
          )}
          {selected && (
            <Card withBorder component="section" aria-labelledby="fx-history-title">
              <Title order={3} size="h4" id="fx-history-title">
                {t('fx.historyOf', { currency: selected })}
              </Title>
              <SimpleTable
                testId="exchange-rate-history"
                labels={[t('fx.rate'), t('fx.effectiveAt')]}
                rows={history.map((rate) => ({ key: rate.effectiveAt, cells: [rate.rate, formatDateTime(rate.effectiveAt, locale)] }))}
              />
            </Card>
          )}
        </Stack>
        <Card withBorder component="section" aria-labelledby="fx-set-title">
          <Title order={3} size="h4" id="fx-set-title">
            {t('fx.set')}
          </Title>
          <ConfigForm
            key={formKey}
            testId="exchange-rate-form"
            fields={[
              { name: 'currency', label: t('fx.currency') },
              { name: 'rate', label: t('fx.rate'), description: t('fx.rateHint') },
              { name: 'effectiveAt', label: t('fx.effectiveAt'), kind: 'datetime', description: t('fx.effectiveAtHint') },
            ]}
            initial={{ currency: '', rate: '', effectiveAt: '' }}
            submitLabel={t('app.save')}
            toInput={(values) => {
              const errors = requireFields(values, ['currency', 'rate']);
              const effectiveAt = instantFromLocal(values.effectiveAt);
              if (effectiveAt === 'notDate') errors.effectiveAt = 'notDate';
              if (Object.keys(errors).length) return { input: null, errors };
              return { input: { currency: String(values.currency).trim(), rate: String(values.rate).trim(), effectiveAt: effectiveAt as string | null }, errors };
            }}
            save={(input) => request(SET_RATE, input)}
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
