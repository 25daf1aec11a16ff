import { useEffect, useState } from 'react';
import { Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { MemberRowFragment } from '../gql/graphql';
import { request } from '../api';
import { MemberTable } from './MembersPage';

const AT_RISK = graphql(`
  query ConsoleMembersAtRisk($locale: String) {
    membersAtRisk(first: 100) { edges { node { ...MemberRow } } }
  }
`);

export function AtRiskPage() {
  const { t, i18n } = useTranslation();
  const [rows, setRows] = useState<MemberRowFragment[] | null>(null);
  useEffect(() => {
    void request(AT_RISK, { locale: i18n.language }).then((data) => setRows(data.membersAtRisk.edges.map((edge) => edge.node)));
  }, [i18n.language]);
  return (
    <Stack>
      <Title order={2}>{t('atRisk.title')}</Title>
      <Text>{t('atRisk.intro')}</Text>
      {rows === null ? <Text>{t('app.loading')}</Text> : rows.length === 0 ? <Text>{t('app.none')}</Text> : <MemberTable rows={rows} />}
    </Stack>
  );
}
