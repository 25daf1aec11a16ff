import { useEffect, useState } from 'react';
import { Anchor, Badge, Button, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { TableHead } from '../TableHead';
import { graphql } from '../gql';
import type { MemberRowFragment } from '../gql/graphql';
import { request } from '../api';
import { formatDate, formatNumber } from '../format';
import { hrefFor } from '../route';

export const MemberRow = graphql(`
  fragment MemberRow on Member {
    id
    externalId
    email
    joinedAt
    tier { code name(locale: $locale) }
    ltv { tier predicted12m { amount currency } }
    supportPriority
    balance { available }
  }
`);

const SEARCH = graphql(`
  query ConsoleSearchMembers($query: String!, $after: String, $locale: String) {
    searchMembers(query: $query, first: 50, after: $after) {
      edges { node { ...MemberRow } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export function MemberTable({ rows }: { rows: MemberRowFragment[] }) {
  const { t, i18n } = useTranslation();
  return (
    <Table striped highlightOnHover>
      <TableHead labels={[t('members.member'), t('members.tier'), t('members.ltvTier'), t('members.priority'), t('members.available'), t('members.joined')]} />
      <Table.Tbody>
        {rows.map((member) => (
          <Table.Tr key={member.id}>
            <Table.Td>
              <Anchor href={hrefFor({ page: 'member', id: member.id })}>{member.externalId}</Anchor>
              <Text size="xs">{member.email}</Text>
            </Table.Td>
            <Table.Td>{member.tier.name}</Table.Td>
            <Table.Td>{member.ltv?.tier ?? '—'}</Table.Td>
            <Table.Td>
              <Badge variant="light" color="dark">{t(`priority.${member.supportPriority}`)}</Badge>
            </Table.Td>
            <Table.Td>{formatNumber(member.balance.available, i18n.language)}</Table.Td>
            <Table.Td>{formatDate(member.joinedAt, i18n.language)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function MembersPage() {
  const { t, i18n } = useTranslation();
  const [query, setQuery] = useState('');
  const [rows, setRows] = useState<MemberRowFragment[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let current = true;
    setLoading(true);
    const timer = setTimeout(async () => {
      const data = await request(SEARCH, { query, locale: i18n.language });
      if (!current) return;
      setRows(data.searchMembers.edges.map((edge) => edge.node));
      setNext(data.searchMembers.pageInfo.hasNextPage ? data.searchMembers.pageInfo.endCursor ?? null : null);
      setLoading(false);
    }, query === '' ? 0 : 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [query, i18n.language]);

  const more = async () => {
    const data = await request(SEARCH, { query, after: next, locale: i18n.language });
    setRows((previous) => [...previous, ...data.searchMembers.edges.map((edge) => edge.node)]);
    setNext(data.searchMembers.pageInfo.hasNextPage ? data.searchMembers.pageInfo.endCursor ?? null : null);
  };

  return (
    <Stack>
      <Title order={2}>{t('members.title')}</Title>
      <TextInput label={t('members.search')} value={query} onChange={(event) => setQuery(event.currentTarget.value)} type="search" />
      {loading ? <Text>{t('app.loading')}</Text> : rows.length === 0 ? <Text>{t('app.none')}</Text> : <MemberTable rows={rows} />}
      {next && (
        <Button variant="default" onClick={more}>
          {t('app.more')}
        </Button>
      )}
    </Stack>
  );
}
