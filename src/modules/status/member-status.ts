/**
 * Member status for one request: every member look-up of the request (by id, external id or email) and every
 * status field (tier, tierProgress, balance(s), perks, supportPriority, ltv) go through here, so that a request
 * costs one SQL statement per key kind and tick, whatever the selection and whether it names one member or a page
 * of 100. The parts fetched are those the operation selects anywhere on Member (status-selection.ts).
 */
import DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Member } from '../members/member.entity';
import type { Balance } from '../ledger/balance.service';
import type { HeldPerk } from '../tiers/perk.service';
import type { TierStanding } from '../tiers/tier-policy';
import { LadderTier, TierSettings, windowStart } from '../tiers/tier.service';
import type { MemberKey, StatusPart } from './member-status.sql';
import { statusPartsOf } from './status-selection';
import { readStatusRows, StatusReads } from './status-reads';

/** The stored LTV score of a member, as the status read returns it. */
export interface LtvScore {
  tier: string;
  churnRisk: string;
  probabilityAlive: number;
  expectedPurchases12m: number;
  expectedOrderValueMinor: bigint;
  predicted12mMinor: bigint;
  historicalMinor: bigint;
  formulaLtvMinor: bigint | null;
  ltvToCac: number | null;
  orderCount: number;
  computedAt: Date;
}

/** A member and the status parts fetched with it (a part not fetched is undefined). */
export interface MemberWithStatus {
  member: Member;
  parts: ReadonlySet<StatusPart>;
  standing?: TierStanding | null;
  ladder?: LadderTier[];
  spendMinor?: bigint;
  balances?: Balance[];
  perks?: HeldPerk[];
  ltv?: LtvScore | null;
}


type Row = Record<string, any>;

export class MemberStatusLoader {
  private wanted = new Set<StatusPart>();
  private readonly loaders: Record<MemberKey, DataLoader<string, MemberWithStatus | null>>;
  private readonly byMemberId = new Map<string, MemberWithStatus>();

  /**
   * Reads go through `source`: the process's StatusReads (a request's look-ups, batched with other requests'), or an
   * EntityManager (inside a transaction, or alone), read at `now`.
   */
  constructor(
    private readonly source: StatusReads | EntityManager,
    private readonly settings: TierSettings,
    private readonly now: Date = new Date(),
  ) {
    this.loaders = {
      id: this.loaderBy('id'),
      external_id: this.loaderBy('external_id'),
      email: this.loaderBy('email'),
    };
  }

  /** Asks for the status parts the operation selects on Member, for every member this request looks up from now on. */
  want(info: GraphQLResolveInfo): void {
    for (const part of statusPartsOf(info)) this.wanted.add(part);
  }

  /** The member with `key` = `value` (and the wanted parts), or null. */
  async find(key: MemberKey, value: string): Promise<Member | null> {
    return (await this.loaders[key].load(value))?.member ?? null;
  }

  /** Asks for these parts too (a service that needs them, rather than a query's selection). */
  wantParts(parts: readonly StatusPart[]): void {
    for (const part of parts) this.wanted.add(part);
  }

  /** The wanted status parts of a member found anywhere (a look-up here, or a list query): fetched once per tick. */
  async of(member: { id: string }, info: GraphQLResolveInfo): Promise<MemberWithStatus> {
    this.want(info);
    return this.statusOf(member);
  }

  /** The member's status with every part wanted so far, read again only when an earlier read lacked some. */
  async statusOf(member: { id: string }): Promise<MemberWithStatus> {
    const known = this.byMemberId.get(member.id);
    if (known && [...this.wanted].every((part) => known.parts.has(part))) return known;
    // Fetched earlier with fewer parts (a mutation looked the member up first): fetch again with all of them.
    if (known) this.loaders.id.clear(member.id);
    const status = await this.loaders.id.load(member.id);
    if (!status) throw new Error(`member ${member.id} vanished during the request`);
    return status;
  }

  private loaderBy(key: MemberKey): DataLoader<string, MemberWithStatus | null> {
    return new DataLoader(async (values) => {
      const parts = new Set(this.wanted);
      const rows = this.source instanceof StatusReads ? await this.source.read(parts, key, values) : await readStatusRows(this.source, parts, key, values, this.now, windowStart(this.now, this.settings));
      const found = new Map<string, MemberWithStatus>();
      for (const row of rows) {
        const status = statusOf(row, parts);
        this.byMemberId.set(status.member.id, status);
        if (key !== 'id') this.loaders.id.prime(status.member.id, status);
        found.set(String(row[key]), status);
      }
      return values.map((value) => found.get(value) ?? null);
    });
  }
}

/** A Member from its row, as a plain object (no ORM entity: the request only reads it). */
export function memberOfRow(row: Row): Member {
  return ({
    id: row.id,
    externalId: row.external_id,
    email: row.email,
    country: row.country,
    locale: row.locale,
    birthday: row.birthday,
    status: row.status,
    acquisitionChannel: row.acquisition_channel,
    acquisitionCostMinor: row.acquisition_cost_minor === null ? null : BigInt(row.acquisition_cost_minor),
    acquisitionCostCurrency: row.acquisition_cost_currency,
    joinedAt: new Date(row.joined_at),
    createdAt: new Date(row.created_at),
    stripeCustomerId: row.stripe_customer_id ?? null,
    referralCode: row.referral_code,
    enrollmentHash: row.enrollment_hash,
  }) as Member;
}

const big = (value: string | null | undefined): bigint => BigInt(value ?? 0);
const date = (value: string | null | undefined): Date | null => (value ? new Date(value) : null);

/** The balances part of a member-status row. */
export function balancesOf(row: Row | undefined): Balance[] {
  return (row?.balances ?? []).map((balance: Row) => ({
    currency: balance.currency,
    posted: big(balance.posted),
    pending: big(balance.pending),
    held: big(balance.held),
    expiringSoon: big(balance.expiringSoon),
    nextExpiry: date(balance.nextExpiry),
  }));
}

/** One member's balances, read by the member-status statement alone (jobs, seeds and tests, outside a request). */
export async function readBalances(em: EntityManager, memberId: string, now: Date = new Date()): Promise<Balance[]> {
  // The balances part counts no spend: any window start will do.
  const [row] = await readStatusRows(em, new Set<StatusPart>(['balances']), 'id', [memberId], now, now);
  return balancesOf(row);
}

function statusOf(row: Row, parts: ReadonlySet<StatusPart>): MemberWithStatus {
  const status: MemberWithStatus = { member: memberOfRow(row), parts };
  if (parts.has('tier')) {
    status.standing = row.standing ? { tierCode: row.standing.tierCode, retainUntil: date(row.standing.retainUntil) } : null;
    status.ladder = (row.ladder ?? []).map((tier: Row) => ({
      code: tier.code,
      name: tier.name,
      names: tier.names ?? {},
      rank: tier.rank,
      thresholdMinor: big(tier.thresholdMinor),
      earnMultiplier: tier.earnMultiplier,
    }));
  }
  if (parts.has('spend')) status.spendMinor = big(row.spend);
  if (parts.has('balances')) status.balances = balancesOf(row);
  if (parts.has('perks')) {
    status.perks = (row.perks ?? []).map((perk: Row) => ({
      code: perk.code,
      name: perk.name,
      names: perk.names ?? {},
      source: perk.source,
      supportPriority: perk.supportPriority,
    }));
  }
  if (parts.has('ltv')) {
    const ltv = row.ltv as Row | null;
    status.ltv = ltv
      ? {
          tier: ltv.tier,
          churnRisk: ltv.churnRisk,
          probabilityAlive: ltv.probabilityAlive,
          expectedPurchases12m: ltv.expectedPurchases12m,
          expectedOrderValueMinor: big(ltv.expectedOrderValueMinor),
          predicted12mMinor: big(ltv.predicted12mMinor),
          historicalMinor: big(ltv.historicalMinor),
          formulaLtvMinor: ltv.formulaLtvMinor === null ? null : big(ltv.formulaLtvMinor),
          ltvToCac: ltv.ltvToCac,
          orderCount: ltv.orderCount,
          computedAt: new Date(ltv.computedAt),
        }
      : null;
  }
  return status;
}
