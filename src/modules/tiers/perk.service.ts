import type { AuditService } from '../audit/audit.service';
import type { RequestScope } from '../../graphql/context';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, checkFields, checkFieldsAsync, NotFoundError } from '../../errors';
import { Perk, PerkGrant, PerkSourceKind } from './perk.entity';
import { SUPPORT_PRIORITIES, SupportPriorityLevel } from './tier-policy';
import { codeOrFail } from './tier.service';
import { LOWEST_TIER_CODE_SQL } from './tier.sql';
import { localisedNamesOrFail, nameOrFail } from '../../localised-names';

/** The LTV tiers perks can attach to (the LTV run assigns them). */
export const LTV_TIERS = ['VIP', 'HIGH', 'MEDIUM', 'LOW', 'NEW'] as const;

/** A perk a member holds, with where it comes from. */
export interface HeldPerk {
  code: string;
  name: string;
  names: Record<string, string>;
  /** TIER:GOLD or LTV:VIP. */
  source: string;
  supportPriority: SupportPriorityLevel | null;
}

interface PerkRow {
  member_id: string;
  source_kind: string;
  source_code: string;
  code: string;
  name: string;
  names: Record<string, string> | null;
  support_priority: SupportPriorityLevel | null;
}

function heldPerk(row: Omit<PerkRow, 'member_id'>): HeldPerk {
  return {
    code: row.code,
    name: row.name,
    names: row.names ?? {},
    source: `${row.source_kind}:${row.source_code}`,
    supportPriority: row.support_priority,
  };
}

/**
 * Every perk each member holds now, from its membership tier (the lowest tier when none is stored) and from its
 * LTV tier (the latest LTV run's, once one has scored it), in one query for all the members. Order: tier perks,
 * then LTV perks, each by perk code.
 */
export async function perksOfMembers(em: EntityManager, memberIds: readonly string[]): Promise<Map<string, HeldPerk[]>> {
  const result = new Map<string, HeldPerk[]>(memberIds.map((id) => [id, []]));
  if (memberIds.length === 0) return result;
  const rows = await em.execute<PerkRow[]>(
    `select m.id as member_id, g.source_kind, g.source_code, p.code, p.name, p.names, p.support_priority
     from members m
     left join member_tiers mt on mt.member_id = m.id
     left join member_ltv ml on ml.member_id = m.id
     join perk_grants g on (g.source_kind = 'TIER' and g.source_code = coalesce(mt.tier_code, ${LOWEST_TIER_CODE_SQL}))
                        or (g.source_kind = 'LTV' and g.source_code = ml.tier)
     join perks p on p.code = g.perk_code
     where m.id in (?)
     order by g.source_kind desc, g.source_code, p.code`,
    [[...memberIds]],
  );
  for (const row of rows) result.get(row.member_id)!.push(heldPerk(row));
  return result;
}

/** A perk as configured, with every source it is attached to (TIER:GOLD, LTV:VIP). */
export interface PerkWithSources extends Omit<HeldPerk, 'source'> {
  sources: string[];
}

/** Every perk, by code, with its sources (tier ones first, then LTV, each by code), one query. */
export async function listPerks(em: EntityManager): Promise<PerkWithSources[]> {
  const rows = await em.execute<(Omit<PerkRow, 'member_id' | 'source_kind' | 'source_code'> & { sources: string[] })[]>(
    `select p.code, p.name, p.names, p.support_priority,
            coalesce(array_agg(g.source_kind || ':' || g.source_code order by g.source_kind desc, g.source_code)
                     filter (where g.perk_code is not null), '{}') as sources
     from perks p left join perk_grants g on g.perk_code = p.code
     group by p.code order by p.code`,
  );
  return rows.map((row) => ({ ...heldPerk({ ...row, source_kind: '', source_code: '' }), sources: row.sources }));
}

/** The sources each perk is attached to, one query. */
export async function sourcesOfPerks(em: EntityManager, perkCodes: readonly string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(perkCodes.map((code) => [code, []]));
  if (perkCodes.length === 0) return result;
  const rows = await em.execute<{ perk_code: string; source: string }[]>(
    `select perk_code, source_kind || ':' || source_code as source from perk_grants where perk_code in (?)
     order by source_kind desc, source_code`,
    [[...perkCodes]],
  );
  for (const row of rows) result.get(row.perk_code)?.push(row.source);
  return result;
}

/** The perks attached to each source (TIER:GOLD, LTV:VIP), one query. */
export async function perksOfSources(em: EntityManager, sources: readonly string[]): Promise<Map<string, HeldPerk[]>> {
  const result = new Map<string, HeldPerk[]>(sources.map((source) => [source, []]));
  if (sources.length === 0) return result;
  const rows = await em.execute<Omit<PerkRow, 'member_id'>[]>(
    `select g.source_kind, g.source_code, p.code, p.name, p.names, p.support_priority
     from perk_grants g join perks p on p.code = g.perk_code
     where g.source_kind || ':' || g.source_code in (?)
     order by p.code`,
    [[...sources]],
  );
  for (const row of rows) result.get(`${row.source_kind}:${row.source_code}`)?.push(heldPerk(row));
  return result;
}

export interface PerkInput {
  code: string;
  name?: string | null;
  names?: { locale: string; name: string }[] | null;
  supportPriority?: string | null;
}

function supportPriorityOrFail(value: string | null | undefined): SupportPriorityLevel | null {
  if (value == null || value === 'STANDARD') return null;
  if (!(SUPPORT_PRIORITIES as readonly string[]).includes(value)) throw new BadUserInputError('supportPriority', `must be one of ${SUPPORT_PRIORITIES.join(', ')}`);
  return value as SupportPriorityLevel;
}

/** "TIER:GOLD" or "LTV:VIP", checked against the ladder and the LTV tiers. */
async function sourceOrFail(em: EntityManager, value: string): Promise<{ kind: PerkSourceKind; code: string }> {
  const [kindText, codeText = ''] = value.trim().toUpperCase().split(':');
  const code = codeText.trim();
  if (kindText === PerkSourceKind.TIER) {
    const [tier] = await em.execute('select 1 from tiers where code = ?', [code]);
    if (!tier) throw new BadUserInputError('source', `no tier ${code}`);
    return { kind: PerkSourceKind.TIER, code };
  }
  if (kindText === PerkSourceKind.LTV) {
    if (!(LTV_TIERS as readonly string[]).includes(code)) throw new BadUserInputError('source', `LTV tiers are ${LTV_TIERS.join(', ')}`);
    return { kind: PerkSourceKind.LTV, code };
  }
  throw new BadUserInputError('source', 'must be TIER:<tier code> or LTV:<LTV tier>, such as TIER:GOLD or LTV:VIP');
}

/** Admin configuration of perks and of what grants them. */
export class PerkAdmin {
  constructor(private readonly audit: AuditService) {}

  /** Each change and its audit entry commit together. */
  async create(scope: RequestScope, input: PerkInput): Promise<Perk> {
    const { code, name, names, supportPriority } = checkFields({
      code: () => codeOrFail(input.code, 'code'),
      name: () => {
        if (input.name == null) throw new BadUserInputError('name', 'is required for a new perk');
        return nameOrFail(input.name, 'name');
      },
      names: () => localisedNamesOrFail(input.names ?? [], 'names'),
      supportPriority: () => supportPriorityOrFail(input.supportPriority),
    });
    return scope.em.transactional(async (tx) => {
      if (await tx.findOne(Perk, { code })) throw new BadUserInputError('code', `${code} already exists`);
      const perk = tx.create(Perk, { code, name, names, supportPriority });
      await tx.persistAndFlush(perk);
      await this.audit.record(scope, 'perk.create', [null], { code }, tx);
      return perk;
    });
  }

  async update(scope: RequestScope, input: PerkInput): Promise<Perk> {
    const { code, name, names, supportPriority } = checkFields({
      code: () => codeOrFail(input.code, 'code'),
      name: () => (input.name == null ? null : nameOrFail(input.name, 'name')),
      names: () => (input.names == null ? null : localisedNamesOrFail(input.names, 'names')),
      supportPriority: () => supportPriorityOrFail(input.supportPriority),
    });
    return scope.em.transactional(async (tx) => {
      const perk = await this.perkOrFail(tx, code, 'code');
      if (name !== null) perk.name = name;
      if (names !== null) perk.names = names;
      if (input.supportPriority !== undefined) perk.supportPriority = supportPriority;
      await tx.flush();
      await this.audit.record(scope, 'perk.update', [null], { code }, tx);
      return perk;
    });
  }

  /** Attaches a perk to a tier or LTV tier; granting it again changes nothing. */
  async grant(scope: RequestScope, perkCode: string, source: string): Promise<Perk> {
    return scope.em.transactional(async (tx) => {
      const { perk, grantedBy } = await checkFieldsAsync({ perk: () => this.perkOrFail(tx, perkCode), grantedBy: () => sourceOrFail(tx, source) });
      const { kind, code } = grantedBy;
      await tx.execute('insert into perk_grants (source_kind, source_code, perk_code) values (?, ?, ?) on conflict do nothing', [kind, code, perk.code]);
      await this.audit.record(scope, 'perk.grant', [null], { perkCode: perk.code, source: `${kind}:${code}` }, tx);
      return perk;
    });
  }

  /** Detaches a perk from a source; true when it was attached. */
  async revoke(scope: RequestScope, perkCode: string, source: string): Promise<boolean> {
    return scope.em.transactional(async (tx) => {
      const { perk, grantedBy } = await checkFieldsAsync({ perk: () => this.perkOrFail(tx, perkCode), grantedBy: () => sourceOrFail(tx, source) });
      const { kind, code } = grantedBy;
      const deleted = await tx.nativeDelete(PerkGrant, { sourceKind: kind, sourceCode: code, perkCode: perk.code });
      await this.audit.record(scope, 'perk.revoke', [null], { perkCode: perk.code, source: `${kind}:${code}` }, tx);
      return deleted > 0;
    });
  }

  private async perkOrFail(em: EntityManager, value: string, field = 'perkCode'): Promise<Perk> {
    const code = codeOrFail(value, field);
    const perk = await em.findOne(Perk, { code });
    if (!perk) throw new NotFoundError(`perk ${code}`);
    return perk;
  }
}
