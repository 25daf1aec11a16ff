import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ForbiddenError, NotFoundError } from '../../errors';
import type { RequestScope } from '../../graphql/context';
import { uuidOrFail } from '../../validation';
import type { AuditService } from '../audit/audit.service';
import { holdMemberLtvForSnapshot } from '../ltv/ltv-run';
import { heldTierCodeSql } from '../tiers/tier.sql';

/** Rows read per query: a member with 100k ledger entries is read 1000 at a time, never all at once as objects. */
export const EXPORT_PAGE_SIZE = 1000;

/**
 * One section of the export: a query over rows about the member (`?` is the member id), and a unique,
 * ordered key (`_key`) to page on.
 */
interface ExportSection {
  name: string;
  select: string;
}

const SECTIONS: ExportSection[] = [
  { name: 'tier', select: 'select t.*, t.member_id as _key from member_tiers t where t.member_id = ?' },
  { name: 'tierHistory', select: 'select c.*, c.id as _key from member_tier_changes c where c.member_id = ?' },
  { name: 'balances', select: 'select a.id, a.currency, a.posted, a.pending, a.held, a.id as _key from points_accounts a where a.member_id = ?' },
  { name: 'ledger', select: 'select t.*, t.id as _key from points_transfers t where t.member_id = ?' },
  { name: 'lots', select: 'select l.*, l.id as _key from points_lots l where l.member_id = ?' },
  { name: 'holds', select: 'select h.*, h.id as _key from points_holds h where h.member_id = ?' },
  { name: 'freezes', select: 'select f.*, f.id as _key from points_freezes f where f.member_id = ?' },
  { name: 'orders', select: 'select o.*, o.id as _key from orders o where o.member_id = ?' },
  { name: 'refunds', select: 'select r.*, r.id as _key from order_refunds r join orders o on o.id = r.order_id where o.member_id = ?' },
  { name: 'disputes', select: 'select d.*, d.id as _key from stripe_disputes d where d.member_id = ?' },
  { name: 'referredBy', select: 'select r.*, r.id as _key from referrals r where r.member_id = ?' },
  { name: 'referralsMade', select: 'select r.*, r.id as _key from referrals r where r.referrer_id = ?' },
  { name: 'rewardRedemptions', select: 'select v.*, v.id as _key from reward_redemptions v where v.member_id = ?' },
  { name: 'ltv', select: 'select l.*, l.member_id as _key from member_ltv l where l.member_id = ?' },
  {
    name: 'perks',
    select: `select p.code, p.name, p.support_priority, g.source_kind, g.source_code, g.source_kind || ':' || g.source_code || ':' || p.code as _key
             from perk_grants g join perks p on p.code = g.perk_code
             where (g.source_kind = 'TIER' and g.source_code = ${heldTierCodeSql('?::uuid')})
                or (g.source_kind = 'LTV' and g.source_code = (select tier from member_ltv where member_id = ?::uuid))`,
  },
  { name: 'sightings', select: `select s.kind, s.value, s.seen_at, s.kind || ':' || s.value as _key from member_sightings s where s.member_id = ?` },
  { name: 'cardFingerprints', select: 'select c.fingerprint, c.first_seen_at, c.fingerprint as _key from member_card_fingerprints c where c.member_id = ?' },
  { name: 'activityDays', select: 'select d.day::text as day, d.day::text as _key from member_activity_days d where d.member_id = ?' },
  { name: 'auditEntries', select: 'select e.id, e.at, e.role, e.actor, e.action, e.details, e.id as _key from audit_log e where e.member_id = ?' },
];

export interface MemberDataExport {
  memberId: string;
  generatedAt: Date;
  json: string;
}

/**
 * Everything held about one member as one JSON document (GDPR articles 15 and 20), read in one REPEATABLE READ
 * snapshot, section by section and page by page. Stateless: the scope comes with each call.
 */
export class MemberDataExportService {
  constructor(
    private readonly audit: AuditService,
    private readonly pageSize: number = EXPORT_PAGE_SIZE,
  ) {}

  async export(scope: RequestScope, memberId: string, now: Date = new Date()): Promise<MemberDataExport> {
    const id = uuidOrFail(memberId, 'memberId', 'is not a member id');
    return scope.em.fork().transactional(
      async (tx) => {
        // Before the snapshot: an LTV run swapping member_ltv in meanwhile would leave this snapshot an empty table
        await holdMemberLtvForSnapshot(tx);
        const [profile] = await tx.execute<Record<string, unknown>[]>(
          `select id, external_id, email, country, locale, birthday, status, acquisition_channel, acquisition_cost_minor, acquisition_cost_currency,
             stripe_customer_id, referral_code, joined_at, created_at from members where id = ?`,
          [id],
        );
        const principal = scope.principal;
        // A member token learns nothing about other members, not even whether they exist.
        if (principal?.role === 'member' && profile?.external_id !== principal.subject) throw new ForbiddenError('a member may only export itself');
        if (!profile) throw new NotFoundError('member');
        // Audited before the read finishes, in the same transaction: an export that fails leaves no entry, one that succeeds always does.
        await this.audit.recordForAnyCaller(scope, 'member.export', [id], null, tx);
        const parts: string[] = [`{"memberId":${JSON.stringify(id)},"generatedAt":${JSON.stringify(now.toISOString())},"profile":${JSON.stringify(profile)}`];
        for (const section of SECTIONS) {
          parts.push(`,${JSON.stringify(section.name)}:[`);
          let first = true;
          for await (const row of pagedRows(tx, section, id, this.pageSize)) {
            parts.push(first ? JSON.stringify(row) : `,${JSON.stringify(row)}`);
            first = false;
          }
          parts.push(']');
        }
        parts.push('}');
        return { memberId: id, generatedAt: now, json: parts.join('') };
      },
      { isolationLevel: IsolationLevel.REPEATABLE_READ },
    );
  }
}

/** The section's rows in `_key` order, `pageSize` at a time (keyset paging), without the `_key` column. */
async function* pagedRows(tx: EntityManager, section: ExportSection, memberId: string, pageSize: number): AsyncGenerator<Record<string, unknown>> {
  const memberParams = section.select.split('?').length - 1;
  let after: unknown = undefined;
  for (;;) {
    const rows = await tx.execute<Record<string, unknown>[]>(
      `select * from (${section.select}) page ${after === undefined ? '' : 'where page._key > ?'} order by page._key limit ${pageSize}`,
      [...Array<string>(memberParams).fill(memberId), ...(after === undefined ? [] : [after])],
    );
    for (const row of rows) {
      const { _key, ...rest } = row;
      yield rest;
    }
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]._key;
  }
}
