import { useCallback, useEffect, useState } from 'react';
import { Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { TableHead } from '../TableHead';
import { graphql } from '../gql';
import type { ConsoleMemberQuery } from '../gql/graphql';
import { request } from '../api';
import { formatDate, formatDateTime, formatMoney, formatNumber, formatPercent, formatPoints } from '../format';
import { hrefFor } from '../route';
import { AdjustPointsDialog } from './AdjustPointsDialog';
import { MemberSections } from './MemberSections';

const MEMBER = graphql(`
  query ConsoleMember($id: ID!, $locale: String, $after: String) {
    member(id: $id) {
      id externalId email country locale joinedAt acquisitionChannel status referralCode supportPriority
      acquisitionCost { amount currency }
      tier { code name(locale: $locale) }
      tierProgress { next { code name(locale: $locale) } qualifyingSpend { amount currency } remainingToNext { amount currency } retainUntil }
      ltv { tier churnRisk probabilityAlive predicted12m { amount currency } }
      perks { code name(locale: $locale) source }
      balances { currency posted available pending held expiringSoon nextExpiry }
      ledger(first: 20, after: $after) {
        edges { node { id createdAt kind points currency reason } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

type MemberData = NonNullable<ConsoleMemberQuery['member']>;
type LedgerEntry = MemberData['ledger']['edges'][number]['node'];

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" fw={600} component="dt">
        {label}
      </Text>
      <Text component="dd" m={0} style={{ overflowWrap: "anywhere" }}>
        {value}
      </Text>
    </div>
  );
}

export function MemberPage({ id, role }: { id: string; role: string }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [member, setMember] = useState<MemberData | null | undefined>(undefined);
  const [ledger, setLedger] = useState<LedgerEntry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [adjusting, setAdjusting] = useState(false);
  const [version, setVersion] = useState(0);

  const load = useCallback(async () => {
    const data = await request(MEMBER, { id, locale });
    setMember(data.member);
    setLedger(data.member?.ledger.edges.map((edge) => edge.node) ?? []);
    setNext(data.member?.ledger.pageInfo.hasNextPage ? data.member.ledger.pageInfo.endCursor ?? null : null);
  }, [id, locale]);
  useEffect(() => {
    void load();
  }, [load]);

  const more = async () => {
    const data = await request(MEMBER, { id, locale, after: next });
    setLedger((previous) => [...previous, ...(data.member?.ledger.edges.map((edge) => edge.node) ?? [])]);
    setNext(data.member?.ledger.pageInfo.hasNextPage ? data.member.ledger.pageInfo.endCursor ?? null : null);
  };

  if (member === undefined) return <Text>{t('app.loading')}</Text>;
  if (member === null) return <Text>{t('member.notFound')}</Text>;
  const money = (value: { amount: string; currency: string } | null | undefined) => formatMoney(value?.amount, value?.currency, locale);
  return (
    <Stack>
      <Anchor href={hrefFor({ page: 'members' })}>{t('member.back')}</Anchor>
      <Group justify="space-between">
        <Title order={2}>{member.externalId}</Title>
        <Button onClick={() => setAdjusting(true)}>{t('member.adjust')}</Button>
      </Group>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <Card withBorder component="section" aria-labelledby="profile-title">
          <Title order={3} size="h4" id="profile-title">
            {t('member.profile')}
          </Title>
          <SimpleGrid cols={2} component="dl" mt="xs">
            <Fact label={t('member.email')} value={member.email} />
            <Fact label={t('member.country')} value={member.country} />
            <Fact label={t('member.locale')} value={member.locale} />
            <Fact label={t('member.joined')} value={formatDate(member.joinedAt, locale)} />
            <Fact label={t('member.channel')} value={member.acquisitionChannel ?? '—'} />
            <Fact label={t('member.cost')} value={money(member.acquisitionCost)} />
          </SimpleGrid>
        </Card>
        <Card withBorder component="section" aria-labelledby="tier-title">
          <Title order={3} size="h4" id="tier-title">
            {t('member.tier')}: {member.tier.name}
          </Title>
          <SimpleGrid cols={2} component="dl" mt="xs">
            <Fact label={t('member.spend')} value={money(member.tierProgress.qualifyingSpend)} />
            <Fact label={t('member.nextTier')} value={member.tierProgress.next?.name ?? '—'} />
            <Fact label={t('member.remaining')} value={money(member.tierProgress.remainingToNext)} />
            <Fact label={t('member.retainUntil')} value={formatDate(member.tierProgress.retainUntil, locale)} />
            <Fact label={t('member.priority')} value={t(`priority.${member.supportPriority}`)} />
          </SimpleGrid>
        </Card>
        <Card withBorder component="section" aria-labelledby="ltv-title">
          <Title order={3} size="h4" id="ltv-title">
            {t('member.ltvTier')}: {member.ltv?.tier ?? '—'}
          </Title>
          <SimpleGrid cols={2} component="dl" mt="xs">
            <Fact label={t('member.predicted')} value={money(member.ltv?.predicted12m)} />
            <Fact label={t('member.alive')} value={formatPercent(member.ltv?.probabilityAlive, locale)} />
            <Fact label={t('member.churn')} value={member.ltv ? t(`churn.${member.ltv.churnRisk}`) : '—'} />
          </SimpleGrid>
        </Card>
      </SimpleGrid>
      <Card withBorder component="section" aria-labelledby="perks-title">
        <Title order={3} size="h4" id="perks-title">
          {t('member.perks')}
        </Title>
        <Group mt="xs">
          {member.perks.map((perk) => (
            <Badge key={`${perk.code}-${perk.source}`} variant="light" color="dark" title={`${t('member.source')}: ${perk.source}`}>
              {perk.name} · {perk.source}
            </Badge>
          ))}
        </Group>
      </Card>
      <Title order={3} size="h4">
        {t('member.balances')}
      </Title>
      <Table>
        <TableHead labels={[t('member.currency'), t('member.available'), t('member.posted'), t('member.pending'), t('member.held'), t('member.expiring')]} />
        <Table.Tbody>
          {member.balances.map((balance) => (
            <Table.Tr key={balance.currency} data-testid={`balance-${balance.currency}`}>
              <Table.Td>{balance.currency}</Table.Td>
              <Table.Td>{formatNumber(balance.available, locale)}</Table.Td>
              <Table.Td>{formatNumber(balance.posted, locale)}</Table.Td>
              <Table.Td>{formatNumber(balance.pending, locale)}</Table.Td>
              <Table.Td>{formatNumber(balance.held, locale)}</Table.Td>
              <Table.Td>
                {formatNumber(balance.expiringSoon, locale)} {balance.nextExpiry ? `(${formatDate(balance.nextExpiry, locale)})` : ''}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Title order={3} size="h4">
        {t('member.ledger')}
      </Title>
      <Table data-testid="ledger">
        <TableHead labels={[t('member.date'), t('member.kind'), t('member.points'), t('member.reason')]} />
        <Table.Tbody>
          {ledger.map((entry) => (
            <Table.Tr key={entry.id}>
              <Table.Td>{formatDateTime(entry.createdAt, locale)}</Table.Td>
              <Table.Td>{entry.kind}</Table.Td>
              <Table.Td>
                {formatPoints(entry.points, locale)} {entry.currency}
              </Table.Td>
              <Table.Td>{entry.reason ?? ''}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {next && (
        <Button variant="default" onClick={more}>
          {t('app.more')}
        </Button>
      )}
      <MemberSections memberId={member.id} version={version} />
      {adjusting && (
        <AdjustPointsDialog
          memberId={member.id}
          role={role}
          onClose={() => setAdjusting(false)}
          onAdjusted={() => {
            setAdjusting(false);
            void load();
            setVersion((previous) => previous + 1);
          }}
        />
      )}
    </Stack>
  );
}
