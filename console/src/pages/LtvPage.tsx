import { useCallback, useEffect, useState } from 'react';
import { Alert, Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { ConsoleLtvQuery } from '../gql/graphql';
import { ApiError, request } from '../api';
import { formatDate, formatDateTime, formatNumber } from '../format';
import { SimpleTable } from '../SimpleTable';

const LTV = graphql(`
  query ConsoleLtv {
    ltvModel { asOf fittedOn r alpha a b p q v }
    ltvRuns(first: 20) { id status asOf startedAt finishedAt membersScored fittedOn error }
  }
`);
const RUN = graphql(`
  mutation ConsoleRecomputeLtv { recomputeLtv { id status membersScored } }
`);

export function LtvPage() {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [data, setData] = useState<ConsoleLtvQuery | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => setData(await request(LTV)), []);
  useEffect(() => {
    void load();
  }, [load]);
  const run = async () => {
    setRunning(true);
    setError(null);
    // The mutation returns when the run is over; meanwhile the run history shows it RUNNING.
    const poll = setInterval(() => void load(), 2000);
    try {
      await request(RUN);
    } catch (failure) {
      setError(failure instanceof ApiError ? `${failure.code}: ${failure.message}` : String(failure));
    } finally {
      clearInterval(poll);
      setRunning(false);
      await load();
    }
  };
  const model = data?.ltvModel;
  const parameters: [string, number | null | undefined][] = [
    ['r', model?.r], ['α', model?.alpha], ['a', model?.a], ['b', model?.b], ['p', model?.p], ['q', model?.q], ['v', model?.v],
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('ltv.title')}</Title>
        <Button onClick={() => void run()} loading={running} data-testid="ltv-run">
          {t('ltv.runNow')}
        </Button>
      </Group>
      {running && <Alert color="blue">{t('ltv.running')}</Alert>}
      {error && (
        <Alert color="red" role="alert" title={t('ltv.failed')}>
          {error}
        </Alert>
      )}
      <Card withBorder component="section" aria-labelledby="ltv-model-title">
        <Title order={3} size="h4" id="ltv-model-title">
          {t('ltv.model')}
        </Title>
        {data === null ? (
          <Text>{t('app.loading')}</Text>
        ) : !model ? (
          <Text>{t('ltv.noModel')}</Text>
        ) : (
          <>
            <Text size="sm">{t('ltv.fitted', { asOf: formatDate(model.asOf, locale), members: formatNumber(model.fittedOn, locale) })}</Text>
            <SimpleGrid cols={{ base: 3, md: 7 }} component="dl" mt="xs">
              {parameters.map(([name, value]) => (
                <div key={name}>
                  <Text size="xs" fw={600} component="dt">
                    {name}
                  </Text>
                  <Text component="dd" m={0}>
                    {formatNumber(value, locale, 4)}
                  </Text>
                </div>
              ))}
            </SimpleGrid>
          </>
        )}
      </Card>
      <Title order={3} size="h4">
        {t('ltv.runs')}
      </Title>
      {data && (
        <SimpleTable
          testId="ltv-runs"
          labels={[t('ltv.startedAt'), t('ltv.asOf'), t('ltv.status'), t('ltv.scored'), t('ltv.error')]}
          rows={data.ltvRuns.map((runRow) => ({
            key: runRow.id,
            cells: [
              formatDateTime(runRow.startedAt, locale),
              formatDate(runRow.asOf, locale),
              <Badge variant="light" color="dark">{t(`ltv.statuses.${runRow.status}`)}</Badge>,
              formatNumber(runRow.membersScored, locale),
              runRow.error ?? '',
            ],
          }))}
        />
      )}
    </Stack>
  );
}
