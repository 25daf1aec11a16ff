import { useEffect, useMemo, useState } from 'react';
import { Button, Card, Group, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { ConsoleGrowthQuery } from '../gql/graphql';
import { request } from '../api';
import { Chart, ChartOption } from '../Chart';
import { formatMoney, formatNumber, formatPercent } from '../format';
import { cohortHeatmapCells, dauMauSeries, defaultPeriod, formatMonth, revenueSeries } from '../growth';
import { isRightToLeft } from '../i18n';
import { loadSession } from '../session';

const GROWTH = graphql(`
  query ConsoleGrowth($from: DateTime!, $to: DateTime!, $market: String, $channel: String) {
    growthMetrics(from: $from, to: $to, market: $market, channel: $channel) {
      baseCurrency
      acquisition { newMembers }
      activation { newMembers firstOrderWithin7Days { numerator } firstOrderWithin30Days { numerator } }
      retention { cohorts { month members retention { value } } }
      revenue { gmv { amount currency } netRevenue { amount currency } byMonth { month gmv { amount } netRevenue { amount } } }
      referral { referralRate { value } }
      engagement { dauMau { value } byMonth { month dauMau { value } } }
      value { ltvToCacBar ltvToCac { value } byChannel { channel ltvToCac { value } } }
    }
  }
`);

type Growth = ConsoleGrowthQuery['growthMetrics'];

function ChartCard({ title, ...chart }: { title: string; option: ChartOption; rtl: boolean; testId: string }) {
  return (
    <Card withBorder>
      <Title order={3} size="h4">
        {title}
      </Title>
      <Chart label={title} {...chart} />
    </Card>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <Card withBorder>
      <Text size="sm">{label}</Text>
      <Text size="xl" fw={700}>
        {value}
      </Text>
    </Card>
  );
}

export function GrowthPage() {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const rtl = isRightToLeft(locale);
  const [filters, setFilters] = useState(() => ({ ...defaultPeriod(new Date()), market: '', channel: '' }));
  const [applied, setApplied] = useState(filters);
  const [growth, setGrowth] = useState<Growth | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setError(null);
    request(GROWTH, {
      from: `${applied.from}T00:00:00.000Z`,
      to: `${applied.to}T00:00:00.000Z`,
      market: applied.market || null,
      channel: applied.channel || null,
    })
      .then((data) => setGrowth(data.growthMetrics))
      .catch((caught: Error) => setError(caught.message));
  }, [applied]);

  const charts = useMemo(() => {
    if (!growth) return null;
    const funnel = {
      tooltip: {},
      grid: { containLabel: true },
      xAxis: { type: 'category', inverse: rtl, data: [t('growth.funnelNew'), t('growth.funnel30'), t('growth.funnel7')] },
      yAxis: { type: 'value', position: rtl ? 'right' : 'left' },
      series: [{ type: 'bar', data: [growth.activation.newMembers, growth.activation.firstOrderWithin30Days.numerator, growth.activation.firstOrderWithin7Days.numerator] }],
    };
    const heat = cohortHeatmapCells(growth.retention.cohorts);
    const cohorts = {
      tooltip: {},
      grid: { containLabel: true },
      xAxis: { type: 'category', inverse: rtl, data: heat.columns.map((column) => formatNumber(column, locale)) },
      yAxis: { type: 'category', data: heat.rows, position: rtl ? 'right' : 'left' },
      visualMap: { min: 0, max: 1, show: false, inRange: { color: ['#f1f3f5', '#1c7ed6'] } },
      series: [{ type: 'heatmap', data: heat.cells, label: { show: true, formatter: (cell: { value: [number, number, number] }) => formatPercent(cell.value[2], locale) } }],
    };
    const byChannel = {
      tooltip: {},
      grid: { containLabel: true },
      xAxis: { type: 'category', inverse: rtl, data: growth.value.byChannel.map((row) => row.channel ?? t('growth.unknownChannel')) },
      yAxis: { type: 'value', position: rtl ? 'right' : 'left' },
      series: [
        {
          type: 'bar',
          data: growth.value.byChannel.map((row) => row.ltvToCac.value ?? 0),
          markLine: { data: [{ yAxis: growth.value.ltvToCacBar, name: t('growth.bar') }], label: { formatter: `${t('growth.bar')} ${growth.value.ltvToCacBar}` } },
        },
      ],
    };
    const revenue = revenueSeries(growth.revenue.byMonth);
    const currency = growth.baseCurrency;
    const revenueByMonth = {
      tooltip: { trigger: 'axis', valueFormatter: (value: number) => formatMoney(String(value), currency, locale) },
      legend: { top: 0 },
      grid: { containLabel: true, top: 40 },
      xAxis: { type: 'category', inverse: rtl, data: revenue.months.map((month) => formatMonth(month, locale)) },
      yAxis: { type: 'value', position: rtl ? 'right' : 'left', axisLabel: { formatter: (value: number) => formatNumber(value, locale) } },
      series: [
        { type: 'bar', name: t('growth.gmv'), data: revenue.gmv },
        { type: 'bar', name: t('growth.netRevenue'), data: revenue.net },
      ],
    };
    const engagement = dauMauSeries(growth.engagement.byMonth);
    const dauMau = {
      tooltip: { trigger: 'axis', valueFormatter: (value: number | null) => formatPercent(value, locale) },
      grid: { containLabel: true },
      xAxis: { type: 'category', inverse: rtl, data: engagement.months.map((month) => formatMonth(month, locale)) },
      yAxis: { type: 'value', min: 0, position: rtl ? 'right' : 'left', axisLabel: { formatter: (value: number) => formatPercent(value, locale) } },
      series: [{ type: 'line', name: t('growth.dauMau'), data: engagement.values, connectNulls: false, showSymbol: true }],
    };
    return { funnel, cohorts, byChannel, revenueByMonth, dauMau };
  }, [growth, locale, rtl, t]);

  const downloadCsv = async () => {
    const parameters = new URLSearchParams({ from: `${applied.from}T00:00:00.000Z`, to: `${applied.to}T00:00:00.000Z` });
    if (applied.market) parameters.set('market', applied.market);
    if (applied.channel) parameters.set('channel', applied.channel);
    const response = await fetch(`/admin/cohorts.csv?${parameters}`, { headers: { authorization: `Bearer ${loadSession()?.token ?? ''}` } });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await response.blob());
    link.download = `cohorts-${applied.from}-${applied.to}.csv`;
    link.click();
    URL.revokeObjectURL(link.href);
  };

  return (
    <Stack>
      <Title order={2}>{t('growth.title')}</Title>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setApplied(filters);
        }}
      >
        <Group align="flex-end">
          <TextInput type="date" label={t('growth.from')} value={filters.from} onChange={(event) => setFilters({ ...filters, from: event.currentTarget.value })} />
          <TextInput type="date" label={t('growth.to')} value={filters.to} onChange={(event) => setFilters({ ...filters, to: event.currentTarget.value })} />
          <TextInput label={t('growth.market')} value={filters.market} onChange={(event) => setFilters({ ...filters, market: event.currentTarget.value.toUpperCase() })} w={100} />
          <TextInput label={t('growth.channel')} value={filters.channel} onChange={(event) => setFilters({ ...filters, channel: event.currentTarget.value })} w={160} />
          <Button type="submit">{t('growth.apply')}</Button>
          <Button variant="default" onClick={downloadCsv}>
            {t('growth.csv')}
          </Button>
        </Group>
      </form>
      {error && <Text c="red">{error}</Text>}
      {growth && charts && (
        <>
          <SimpleGrid cols={{ base: 2, md: 6 }}>
            <Stat label={t('growth.newMembers')} value={formatNumber(growth.acquisition.newMembers, locale)} />
            <Stat label={t('growth.gmv')} value={formatMoney(growth.revenue.gmv.amount, growth.revenue.gmv.currency, locale)} />
            <Stat label={t('growth.netRevenue')} value={formatMoney(growth.revenue.netRevenue.amount, growth.revenue.netRevenue.currency, locale)} />
            <Stat label={t('growth.referralRate')} value={formatPercent(growth.referral.referralRate.value, locale)} />
            <Stat label={t('growth.dauMau')} value={formatPercent(growth.engagement.dauMau.value, locale)} />
            <Stat label={t('growth.ltvToCac')} value={formatNumber(growth.value.ltvToCac.value, locale, 2)} />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <ChartCard title={t('growth.funnel')} option={charts.funnel} rtl={rtl} testId="chart-funnel" />
            <ChartCard title={t('growth.byChannel')} option={charts.byChannel} rtl={rtl} testId="chart-channel" />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <ChartCard title={t('growth.revenueByMonth')} option={charts.revenueByMonth} rtl={rtl} testId="chart-revenue" />
            <ChartCard title={t('growth.dauMauByMonth')} option={charts.dauMau} rtl={rtl} testId="chart-daumau" />
          </SimpleGrid>
          <ChartCard title={t('growth.cohorts')} option={charts.cohorts} rtl={rtl} testId="chart-cohorts" />
        </>
      )}
    </Stack>
  );
}
