import type { ReactNode } from 'react';
import { Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { TableHead } from './TableHead';

/** A table of rows of cells under column labels; "nothing here yet" when empty. */
export function SimpleTable({ labels, rows, testId, caption }: { labels: string[]; rows: { key: string; cells: ReactNode[] }[]; testId?: string; caption?: string }) {
  const { t } = useTranslation();
  if (rows.length === 0) return <Text>{t('app.none')}</Text>;
  return (
    <Table.ScrollContainer minWidth={500}>
      <Table striped data-testid={testId}>
        {caption && <Table.Caption>{caption}</Table.Caption>}
        <TableHead labels={labels} />
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr key={row.key}>
              {row.cells.map((cell, index) => (
                <Table.Td key={index}>{cell}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
