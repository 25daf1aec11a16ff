import { useEffect, useState } from 'react';
import { Anchor, Badge, Card, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { ConsoleMemberSectionsQuery } from '../gql/graphql';
import { request } from '../api';
import { formatDateTime, formatMoney, formatNumber } from '../format';
import { hrefFor } from '../route';
import { SimpleTable } from '../SimpleTable';
import { AUDIT, AuditEntry, AuditTable } from './AuditTable';

const SECTIONS = graphql(`
  query ConsoleMemberSections($id: ID!, $locale: String) {
    member(id: $id) {
      id
      orders(first: 20) {
        edges { node { id externalId placedAt status pointsEarned amount { amount currency } refunded { amount currency } refunds { id refundId amount { amount currency } createdAt failedAt } } }
      }
      holds { id orderRef points currency expiresAt createdAt }
      referrals(first: 20) { edges { node { id code status rejectionReason createdAt qualifiedAt referee { id externalId email } } } }
      redemptions(first: 20) { edges { node { id voucherCode points createdAt expiresAt usedAt orderRef reward { code name(locale: $locale) } } } }
    }
  }
`);

type Sections = NonNullable<ConsoleMemberSectionsQuery['member']>;

function Section({ id, title, children }: { id: string; title: string; children: React.ReactNode }) {
  return (
    <Card withBorder component="section" aria-labelledby={`${id}-title`}>
      <Title order={3} size="h4" id={`${id}-title`} mb="xs">
        {title}
      </Title>
      {children}
    </Card>
  );
}

/** The member page's lists: orders and refunds, open holds, referrals, reward redemptions and the audit trail. `version` reloads them. */
export function MemberSections({ memberId, version }: { memberId: string; version: number }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [sections, setSections] = useState<Sections | null>(null);
  const [audit, setAudit] = useState<AuditEntry[] | null>(null);
  useEffect(() => {
    void request(SECTIONS, { id: memberId, locale }).then((data) => setSections(data.member ?? null));
    void request(AUDIT, { memberId, after: null }).then((data) => setAudit(data.auditLog.edges.map((edge) => edge.node)));
  }, [memberId, locale, version]);
  if (!sections) return <Text>{t('app.loading')}</Text>;
  const money = (value: { amount: string; currency: string } | null | undefined) => formatMoney(value?.amount, value?.currency, locale);
  return (
    <Stack>
      <Section id="orders" title={t('member.orders')}>
        <SimpleTable
          testId="orders"
          labels={[t('member.date'), t('member.order'), t('member.amount'), t('member.status'), t('member.points'), t('member.refunds')]}
          rows={sections.orders.edges.map(({ node }) => ({
            key: node.id,
            cells: [
              formatDateTime(node.placedAt, locale),
              node.externalId,
              money(node.amount),
              t(`orderStatus.${node.status}`, { defaultValue: node.status }),
              formatNumber(node.pointsEarned, locale),
              node.refunds.length === 0
                ? '—'
                : node.refunds.map((refund) => `${refund.refundId}: ${money(refund.amount)}${refund.failedAt ? ` (${t('member.refundFailed')})` : ''}`).join('; '),
            ],
          }))}
        />
      </Section>
      <Section id="holds" title={t('member.holds')}>
        <SimpleTable
          testId="holds"
          labels={[t('member.date'), t('member.orderRef'), t('member.points'), t('member.expires')]}
          rows={sections.holds.map((hold) => ({
            key: hold.id,
            cells: [formatDateTime(hold.createdAt, locale), hold.orderRef, `${formatNumber(hold.points, locale)} ${hold.currency}`, formatDateTime(hold.expiresAt, locale)],
          }))}
        />
      </Section>
      <Section id="referrals" title={t('member.referrals')}>
        <SimpleTable
          testId="referrals"
          labels={[t('member.date'), t('member.referee'), t('member.status'), t('member.rejectionReason')]}
          rows={sections.referrals.edges.map(({ node }) => ({
            key: node.id,
            cells: [
              formatDateTime(node.createdAt, locale),
              node.referee ? <Anchor href={hrefFor({ page: 'member', id: node.referee.id })}>{`${node.referee.externalId} · ${node.referee.email}`}</Anchor> : '—',
              <Badge variant="light" color="dark">{t(`referralStatus.${node.status}`)}</Badge>,
              node.rejectionReason ? t(`rejection.${node.rejectionReason}`, { defaultValue: node.rejectionReason }) : '',
            ],
          }))}
        />
      </Section>
      <Section id="redemptions" title={t('member.redemptions')}>
        <SimpleTable
          testId="redemptions"
          labels={[t('member.date'), t('member.reward'), t('member.points'), t('member.voucher'), t('member.used')]}
          rows={sections.redemptions.edges.map(({ node }) => ({
            key: node.id,
            cells: [
              formatDateTime(node.createdAt, locale),
              node.reward.name,
              formatNumber(node.points, locale),
              node.voucherCode,
              node.usedAt ? `${formatDateTime(node.usedAt, locale)}${node.orderRef ? ` · ${node.orderRef}` : ''}` : t('member.unused', { date: formatDateTime(node.expiresAt, locale) }),
            ],
          }))}
        />
      </Section>
      <Section id="audit" title={t('member.audit')}>
        {audit === null ? <Text>{t('app.loading')}</Text> : <AuditTable entries={audit} testId="member-audit" />}
      </Section>
    </Stack>
  );
}
