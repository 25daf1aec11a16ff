import { Anchor, Group, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { ConsoleAuditQuery } from '../gql/graphql';
import { formatDateTime } from '../format';
import { hrefFor } from '../route';
import { SimpleTable } from '../SimpleTable';

export const AUDIT = graphql(`
  query ConsoleAudit($memberId: ID, $action: String, $actor: String, $actorRole: String, $after: String) {
    auditLog(memberId: $memberId, action: $action, actor: $actor, actorRole: $actorRole, first: 100, after: $after) {
      edges { node { id at action actor actorRole memberIds details } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export type AuditEntry = ConsoleAuditQuery['auditLog']['edges'][number]['node'];

/** Audit entries as a table, each member id linked to its page. */
export function AuditTable({ entries, testId }: { entries: AuditEntry[]; testId?: string }) {
  const { t, i18n } = useTranslation();
  return (
    <SimpleTable
      testId={testId}
      labels={[t('audit.at'), t('audit.action'), t('audit.actor'), t('audit.members'), t('audit.details')]}
      rows={entries.map((entry) => ({
        key: entry.id,
        cells: [
          formatDateTime(entry.at, i18n.language),
          entry.action,
          `${entry.actorRole}: ${entry.actor}`,
          <Group gap={4}>
            {entry.memberIds.map((id) => (
              <Anchor key={id} size="sm" href={hrefFor({ page: 'member', id })}>
                {id.slice(0, 8)}
              </Anchor>
            ))}
          </Group>,
          <Text size="xs" style={{ overflowWrap: 'anywhere' }}>{entry.details ?? ''}</Text>,
        ],
      }))}
    />
  );
}
