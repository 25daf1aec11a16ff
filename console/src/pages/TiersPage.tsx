import { useEffect, useState } from 'react';
import { Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { TableHead } from '../TableHead';
import { graphql } from '../gql';
import type { ConsoleTiersQuery } from '../gql/graphql';
import { request } from '../api';
import { formatMoney } from '../format';

const TIERS = graphql(`
  query ConsoleTiers($locale: String) {
    tiers { code name(locale: $locale) rank earnMultiplier threshold { amount currency } perks { code name(locale: $locale) } }
  }
`);

export function TiersPage() {
  const { t, i18n } = useTranslation();
  const [tiers, setTiers] = useState<ConsoleTiersQuery['tiers'] | null>(null);
  useEffect(() => {
    void request(TIERS, { locale: i18n.language }).then((data) => setTiers(data.tiers));
  }, [i18n.language]);
  return (
    <Stack>
      <Title order={2}>{t('tiers.title')}</Title>
      {tiers === null ? (
        <Text>{t('app.loading')}</Text>
      ) : (
        <Table striped>
          <TableHead labels={[t('tiers.code'), t('tiers.name'), t('tiers.rank'), t('tiers.threshold'), t('tiers.multiplier'), t('tiers.perks')]} />
          <Table.Tbody>
            {tiers.map((tier) => (
              <Table.Tr key={tier.code}>
                <Table.Td>{tier.code}</Table.Td>
                <Table.Td>{tier.name}</Table.Td>
                <Table.Td>{tier.rank}</Table.Td>
                <Table.Td>{formatMoney(tier.threshold.amount, tier.threshold.currency, i18n.language)}</Table.Td>
                <Table.Td>×{tier.earnMultiplier}</Table.Td>
                <Table.Td>{tier.perks.map((perk) => perk.name).join(', ')}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
