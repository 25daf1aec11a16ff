import { isISO31661Alpha2 } from 'class-validator';
import { isUniqueViolation } from '../../db/errors';
import { BadUserInputError, checkFieldsAsync, InputChecks, ForbiddenError, IdempotencyConflictError, InsufficientPointsError, NotFoundError, OutOfStockError } from '../../errors';
import type { StatusScope } from '../../graphql/context';
import { Connection, PageRequest, toConnection } from '../../graphql/pagination';
import { requestHash } from '../../idempotency';
import { parseMoney } from '../../money/money';
import { addDays } from '../../time';
import { externalIdOrFail, uuidOrFail, wholeNumberOrFail } from '../../validation';
import type { AuditService } from '../audit/audit.service';
import { Ledger } from '../ledger/ledger';
import { pointsCurrencyOrFail } from '../ledger/points-currency.service';
import { LedgerEntryKind, TransferBucket } from '../ledger/points-transfer.entity';
import type { Member } from '../members/member.entity';
import type { MemberService } from '../members/member.service';
import { normaliseLocale } from '../members/member.validation';
import { RewardRedemption } from './reward-redemption.entity';
import { Reward, RewardKind } from './reward.entity';
import { unavailableReason } from './reward-policy';
import { tierCodeExists, tierCodesMetBy } from './tier-restriction';
import { newVoucherCode, normaliseVoucherCode } from './voucher-code';
import { localisedNamesOrFail, nameOrFail } from '../../localised-names';
import { enqueueEvent } from '../webhooks/outbox';

export interface CreateRewardInput {
  code: string;
  name: string;
  currency?: string | null;
  cost: number;
  stock?: number | null;
  names?: { locale: string; name: string }[] | null;
  kind?: RewardKind | null;
  amounts?: { amount: string; currency: string }[] | null;
  percentOff?: number | null;
  perMemberLimit?: number | null;
  minTierCode?: string | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
  markets?: string[] | null;
  voucherValidDays?: number | null;
}

/** Absent fields stay as they are; null clears the nullable ones (perMemberLimit, minTierCode, startsAt, endsAt). */
export interface UpdateRewardInput {
  id: string;
  name?: string | null;
  names?: { locale: string; name: string }[] | null;
  cost?: number | null;
  /** Units added to (or, negative, taken from) the remaining stock of a limited reward. */
  addStock?: number | null;
  perMemberLimit?: number | null;
  minTierCode?: string | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
  markets?: string[] | null;
  voucherValidDays?: number | null;
}

export interface RedeemRewardInput {
  memberId: string;
  rewardId: string;
  idempotencyKey: string;
}

/** A reward as one reader sees it: `locale` picks its localised name. */
export interface RewardForReader {
  reward: Reward;
  locale: string | null;
}

export interface RedemptionResult {
  redemption: RewardRedemption;
  reward: RewardForReader;
}

export enum VoucherStatus {
  ACTIVE = 'ACTIVE',
  USED = 'USED',
  EXPIRED = 'EXPIRED',
}

const CODE = /^[A-Z0-9][A-Z0-9_-]{1,63}$/;
const MAX_NAME_LENGTH = 200;
const MAX_COST = 100_000_000;
const MAX_STOCK = 100_000_000;

/** Every market an ISO 3166-1 alpha-2 code (each bad one reported); upper case, once each, sorted. */
function marketsOrFail(markets: string[]): string[] {
  const checks = new InputChecks();
  const codes = markets.map((market, index) =>
    checks.check(() => {
      const code = market.trim().toUpperCase();
      if (!isISO31661Alpha2(code)) throw new BadUserInputError(`markets[${index}]`, `"${market}" is not an ISO 3166-1 alpha-2 code`);
      return code;
    }),
  );
  checks.throwIfAny();
  return [...new Set(codes as string[])].sort();
}

function optionalCount(value: number | null | undefined, field: string): number | null {
  return value == null ? null : wholeNumberOrFail(value, field, { min: 1, max: MAX_STOCK });
}

/** The rewards catalog (admin), what a member may redeem, redemption into vouchers, and vouchers at checkout. */
export class RewardService {
  constructor(
    private readonly members: MemberService,
    private readonly audit: AuditService,
  ) {}

  async create(scope: StatusScope, input: CreateRewardInput): Promise<RewardForReader> {
    const kind = input.kind ?? RewardKind.PRODUCT;
    const { code, currency, ...fields } = await checkFieldsAsync({
      code: () => {
        const code = input.code.trim().toUpperCase();
        if (!CODE.test(code)) throw new BadUserInputError('code', 'must be 2 to 64 letters, digits, "_" or "-"');
        return code;
      },
      currency: () => pointsCurrencyOrFail(scope.em, input.currency),
      name: () => nameOrFail(input.name, 'name'),
      names: () => (input.names ? localisedNamesOrFail(input.names) : {}),
      cost: () => wholeNumberOrFail(input.cost, 'cost', { min: 1, max: MAX_COST }),
      stockTotal: () => (input.stock == null ? null : wholeNumberOrFail(input.stock, 'stock', { min: 0, max: MAX_STOCK })),
      perMemberLimit: () => optionalCount(input.perMemberLimit, 'perMemberLimit'),
      minTierCode: () => this.minTierOrFail(scope, input.minTierCode),
      markets: () => (input.markets ? marketsOrFail(input.markets) : []),
      voucherValidDays: () => (input.voucherValidDays == null ? 90 : wholeNumberOrFail(input.voucherValidDays, 'voucherValidDays', { min: 1, max: 3650 })),
      amounts: () => amountsOf(kind, input),
      percentOff: () => percentOffOf(kind, input),
      window: () => windowOrFail(input.startsAt ?? null, input.endsAt ?? null),
    });
    const { window, ...values } = fields;
    const reward = scope.em.create(Reward, {
      ...values,
      code,
      kind,
      currency: currency.code,
      stockRemaining: input.stock == null ? null : input.stock,
      startsAt: window.startsAt,
      endsAt: window.endsAt,
    });
    try {
      await scope.em.transactional(async (tx) => {
        tx.persist(reward);
        await tx.flush();
        await this.audit.record(scope, 'reward.create', [null], { rewardId: reward.id, code }, tx);
      });
    } catch (error) {
      if (isUniqueViolation(error, 'rewards_code_unique')) throw new BadUserInputError('code', `${code} already exists`);
      throw error;
    }
    return { reward, locale: null };
  }

  async update(scope: StatusScope, input: UpdateRewardInput): Promise<RewardForReader> {
    const given = await checkFieldsAsync({
      id: () => uuidOrFail(input.id, 'id', 'is not a reward id'),
      name: () => (input.name == null ? null : nameOrFail(input.name, 'name')),
      names: () => (input.names == null ? null : localisedNamesOrFail(input.names)),
      cost: () => (input.cost == null ? null : wholeNumberOrFail(input.cost, 'cost', { min: 1, max: MAX_COST })),
      perMemberLimit: () => optionalCount(input.perMemberLimit, 'perMemberLimit'),
      minTierCode: () => this.minTierOrFail(scope, input.minTierCode),
      markets: () => (input.markets == null ? null : marketsOrFail(input.markets)),
      voucherValidDays: () => (input.voucherValidDays == null ? null : wholeNumberOrFail(input.voucherValidDays, 'voucherValidDays', { min: 1, max: 3650 })),
      addStock: () => (input.addStock == null ? 0 : wholeNumberOrFail(input.addStock, 'addStock', { min: -MAX_STOCK, max: MAX_STOCK })),
    });
    const id = given.id;
    const reward = await scope.em.transactional(async (tx) => {
      const [row] = await tx.execute<Record<string, unknown>[]>('select * from rewards where id = ? for update', [id]);
      if (!row) throw new NotFoundError('reward');
      const reward = tx.map(Reward, row);
      if (given.name !== null) reward.name = given.name;
      if (given.names !== null) reward.names = given.names;
      if (given.cost !== null) reward.cost = given.cost;
      if (input.perMemberLimit !== undefined) reward.perMemberLimit = given.perMemberLimit;
      if (input.minTierCode !== undefined) reward.minTierCode = given.minTierCode;
      if (input.startsAt !== undefined) reward.startsAt = input.startsAt;
      if (input.endsAt !== undefined) reward.endsAt = input.endsAt;
      if (given.markets !== null) reward.markets = given.markets;
      if (given.voucherValidDays !== null) reward.voucherValidDays = given.voucherValidDays;
      windowOrFail(reward.startsAt, reward.endsAt);
      reward.updatedAt = new Date();
      await tx.flush();
      if (given.addStock !== 0) {
        if (reward.stockRemaining === null) throw new BadUserInputError('addStock', 'the reward has unlimited stock');
        const delta = given.addStock;
        // Relative, so that redemptions committed meanwhile are not overwritten; never below zero.
        const [changed] = await tx.execute<{ stock_remaining: number; stock_total: number }[]>(
          'update rewards set stock_remaining = stock_remaining + ?, stock_total = stock_total + ? where id = ? and stock_remaining + ? >= 0 returning stock_remaining, stock_total',
          [delta, delta, id, delta],
        );
        if (!changed) throw new BadUserInputError('addStock', 'would take the remaining stock below zero');
        reward.stockRemaining = changed.stock_remaining;
        reward.stockTotal = changed.stock_total;
      }
      await this.audit.record(scope, 'reward.update', [null], { rewardId: id }, tx);
      return reward;
    });
    return { reward, locale: null };
  }

  /** No new redemptions; vouchers already issued keep working until they expire. Retiring twice is a no-op. */
  async retire(scope: StatusScope, rewardId: string): Promise<RewardForReader> {
    const id = uuidOrFail(rewardId, 'id', 'is not a reward id');
    const reward = await scope.em.transactional(async (tx) => {
      const [row] = await tx.execute<Record<string, unknown>[]>(
        'update rewards set retired_at = coalesce(retired_at, now()), updated_at = now() where id = ? returning *',
        [id],
      );
      if (!row) throw new NotFoundError('reward');
      await this.audit.record(scope, 'reward.retire', [null], { rewardId: id }, tx);
      return tx.map(Reward, row);
    });
    return { reward, locale: null };
  }

  /**
   * The catalog for a reader, in id order. For a member (a member token always reads for itself; other roles
   * pass memberId): what it may redeem now (not retired, in its window, offered in its market, its tier,
   * in stock, under its per-member limit), named in its locale. Staff without memberId: every reward not retired.
   */
  async list(scope: StatusScope, page: PageRequest, memberId?: string | null): Promise<Connection<RewardForReader>> {
    if (page.after) uuidOrFail(page.after, 'after', 'is not a cursor this API returned');
    let member: Member | null = null;
    if (scope.principal?.role === 'member') {
      member = memberId ? await this.members.actionTargetOrFail(scope, memberId) : await this.members.me(scope);
      if (!member) throw new NotFoundError('member');
    } else if (memberId) {
      member = await this.members.actionTargetOrFail(scope, memberId);
    }
    const em = scope.em;
    const conditions = ['r.retired_at is null'];
    const values: unknown[] = [];
    if (member) {
      const tierCodes = await em.execute<{ code: string }[]>('select distinct min_tier_code as code from rewards where min_tier_code is not null');
      const metTiers = await tierCodesMetBy(em, member.id, tierCodes.map((row) => row.code));
      conditions.push(
        '(r.starts_at is null or r.starts_at <= now())',
        '(r.ends_at is null or r.ends_at > now())',
        '(cardinality(r.markets) = 0 or ? = any(r.markets))',
        '(r.stock_remaining is null or r.stock_remaining > 0)',
        metTiers.length ? '(r.min_tier_code is null or r.min_tier_code in (?))' : 'r.min_tier_code is null',
        '(r.per_member_limit is null or (select count(*) from reward_redemptions x where x.reward_id = r.id and x.member_id = ?) < r.per_member_limit)',
      );
      values.push(member.country, ...(metTiers.length ? [metTiers] : []), member.id);
    }
    if (page.after) {
      conditions.push('r.id > ?');
      values.push(page.after);
    }
    const rows = await em.execute<Record<string, unknown>[]>(`select r.* from rewards r where ${conditions.join(' and ')} order by r.id limit ?`, [...values, page.first + 1]);
    const locale = member?.locale ?? null;
    return toConnection(
      rows.map((row) => ({ reward: em.map(Reward, row), locale })),
      page,
      (entry) => entry.reward.id,
    );
  }

  /**
   * Spends the reward's cost through the ledger, takes one unit of stock with a conditional UPDATE (never
   * below zero, whatever runs concurrently) and issues a voucher, idempotently on idempotencyKey.
   * Under the member account's lock: the replay check, the per-member limit and the funds check.
   */
  async redeem(scope: StatusScope, input: RedeemRewardInput): Promise<RedemptionResult> {
    const { member, rewardId, idempotencyKey } = await checkFieldsAsync({
      member: () => this.members.actionTargetOrFail(scope, input.memberId),
      rewardId: () => uuidOrFail(input.rewardId, 'rewardId', 'is not a reward id'),
      idempotencyKey: () => externalIdOrFail(input.idempotencyKey, 'idempotencyKey'),
    });
    const hash = requestHash([member.id, rewardId]);
    const replay = await this.replayOf(scope, idempotencyKey, hash, member);
    if (replay) return replay;

    const reward = await scope.em.findOne(Reward, { id: rewardId });
    if (!reward) throw new NotFoundError('reward');
    const now = new Date();
    const unavailable = unavailableReason(reward, member.country, now);
    if (unavailable) throw new BadUserInputError('rewardId', `the reward ${unavailable}`);
    if (reward.minTierCode && !(await tierCodesMetBy(scope.em, member.id, [reward.minTierCode])).length) {
      throw new ForbiddenError(`the reward needs tier ${reward.minTierCode} or higher`);
    }
    try {
      const redemption = await scope.em.transactional(async (tx) => {
        const ledger = new Ledger(tx);
        const account = await ledger.lockMemberAccount(member.id, reward.currency, now);
        // A replay that raced the first request: answered under the lock, where its redemption is committed.
        const [earlier] = await tx.execute<Record<string, unknown>[]>('select * from reward_redemptions where idempotency_key = ?', [idempotencyKey]);
        if (earlier) {
          if (earlier.request_hash !== hash) throw new IdempotencyConflictError(`idempotencyKey ${idempotencyKey}`);
          return tx.map(RewardRedemption, earlier);
        }
        if (reward.perMemberLimit !== null) {
          const [{ count }] = await tx.execute<{ count: string }[]>('select count(*) as count from reward_redemptions where member_id = ? and reward_id = ?', [member.id, reward.id]);
          if (Number(count) >= reward.perMemberLimit) throw new ForbiddenError(`the reward may be redeemed at most ${reward.perMemberLimit} time(s) per member`);
        }
        const cost = BigInt(reward.cost);
        const available = account.posted - account.held;
        if (available < cost) throw new InsufficientPointsError(available, cost);
        // Taken last, so that the reward row's lock is held for as short a time as possible.
        const [taken] = await tx.execute<{ id: string }[]>(
          'update rewards set stock_remaining = stock_remaining - 1 where id = ? and retired_at is null and (stock_remaining is null or stock_remaining > 0) returning id',
          [reward.id],
        );
        if (!taken) {
          const [current] = await tx.execute<{ retired_at: Date | null }[]>('select retired_at from rewards where id = ?', [reward.id]);
          if (current.retired_at) throw new BadUserInputError('rewardId', 'the reward is retired');
          throw new OutOfStockError(`reward ${reward.code}`);
        }
        const redemptionId = new RewardRedemption().id;
        const transfer = await ledger.transfer({
          account,
          direction: 'DEBIT',
          bucket: TransferBucket.POSTED,
          kind: LedgerEntryKind.REDEEM,
          amount: cost,
          counterparty: 'REDEMPTION',
          reference: `redemption:${redemptionId}`,
          reason: `reward ${reward.code}`,
          details: { rewardId: reward.id, redemptionId },
        });
        await ledger.drawFromLots(account, cost);
        const [row] = await tx.execute<Record<string, unknown>[]>(
          `insert into reward_redemptions (id, member_id, reward_id, voucher_code, currency, points, transfer_id, idempotency_key, request_hash, expires_at, created_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning *`,
          [redemptionId, member.id, reward.id, newVoucherCode(), reward.currency, reward.cost, transfer.id, idempotencyKey, hash, addDays(now, reward.voucherValidDays), now],
        );
        await enqueueEvent(tx, { type: 'reward.redeemed', memberId: member.id, data: { memberId: member.id, redemptionId, rewardId: reward.id, rewardCode: reward.code, points: reward.cost, currency: reward.currency } }, now);
        return tx.map(RewardRedemption, row);
      });
      return { redemption, reward: { reward, locale: member.locale } };
    } catch (error) {
      if (isUniqueViolation(error, 'reward_redemptions_idempotency_key_unique')) return (await this.replayOf(scope, idempotencyKey, hash, member))!;
      throw error;
    }
  }

  /** A voucher's state for a storefront at checkout; null for a code that was never issued. */
  async validateVoucher(scope: StatusScope, code: string): Promise<{ redemption: RewardRedemption; reward: RewardForReader; status: VoucherStatus } | null> {
    const voucherCode = normaliseVoucherCode(code);
    if (!voucherCode) return null;
    const redemption = await scope.em.findOne(RewardRedemption, { voucherCode });
    return redemption ? this.voucherView(scope, redemption, new Date()) : null;
  }

  /**
   * Marks a voucher used by a storefront order, once: using it again for the same orderRef returns it
   * unchanged; for another order, or after it expired, BAD_USER_INPUT. A retired reward's voucher still works.
   */
  async consumeVoucher(scope: StatusScope, code: string, orderRefInput: string): Promise<{ redemption: RewardRedemption; reward: RewardForReader; status: VoucherStatus }> {
    const voucherCode = normaliseVoucherCode(code);
    const orderRef = externalIdOrFail(orderRefInput, 'orderRef');
    if (!voucherCode) throw new NotFoundError('voucher');
    const now = new Date();
    const em = scope.em;
    const [consumed] = await em.execute<Record<string, unknown>[]>(
      'update reward_redemptions set consumed_at = ?, consumed_order_ref = ? where voucher_code = ? and consumed_at is null and expires_at > ? returning *',
      [now, orderRef, voucherCode, now],
    );
    if (consumed) {
      const redemption = em.map(RewardRedemption, consumed);
      await this.audit.record(scope, 'voucher.consume', [redemption.memberId], { voucherCode, orderRef });
      return this.voucherView(scope, redemption, now);
    }
    const redemption = await em.fork().findOne(RewardRedemption, { voucherCode });
    if (!redemption) throw new NotFoundError('voucher');
    if (redemption.consumedAt) {
      if (redemption.consumedOrderRef === orderRef) return this.voucherView(scope, redemption, now);
      throw new BadUserInputError('code', 'the voucher was already used for another order');
    }
    throw new BadUserInputError('code', 'the voucher has expired');
  }

  private async voucherView(scope: StatusScope, redemption: RewardRedemption, now: Date) {
    const reward = await scope.em.fork().findOneOrFail(Reward, { id: redemption.rewardId });
    const status = redemption.consumedAt ? VoucherStatus.USED : redemption.expiresAt <= now ? VoucherStatus.EXPIRED : VoucherStatus.ACTIVE;
    return { redemption, reward: { reward, locale: null }, status };
  }

  private async replayOf(scope: StatusScope, idempotencyKey: string, hash: string, member: Member): Promise<RedemptionResult | null> {
    const em = scope.em.fork();
    const existing = await em.findOne(RewardRedemption, { idempotencyKey });
    if (!existing) return null;
    if (existing.requestHash !== hash) throw new IdempotencyConflictError(`idempotencyKey ${idempotencyKey}`);
    const reward = await em.findOneOrFail(Reward, { id: existing.rewardId });
    return { redemption: existing, reward: { reward, locale: member.locale } };
  }

  private async minTierOrFail(scope: StatusScope, code: string | null | undefined): Promise<string | null> {
    if (code == null) return null;
    const normalised = code.trim().toUpperCase();
    if (!normalised || !(await tierCodeExists(scope.em, normalised))) throw new BadUserInputError('minTierCode', `no tier ${code}`);
    return normalised;
  }

}

/** A FIXED_DISCOUNT's amounts in minor units by currency (each bad one reported); null for the other kinds. */
function amountsOf(kind: RewardKind, input: CreateRewardInput): Record<string, string> | null {
  if (kind !== RewardKind.FIXED_DISCOUNT) {
    if (input.amounts?.length) throw new BadUserInputError('amounts', 'only a FIXED_DISCOUNT has amounts');
    return null;
  }
  if (!input.amounts?.length) throw new BadUserInputError('amounts', 'a FIXED_DISCOUNT needs an amount in at least one currency');
  const amounts: Record<string, string> = {};
  const checks = new InputChecks();
  input.amounts.forEach((amount, index) =>
    checks.check(() => {
      const money = parseMoney(amount.amount, amount.currency, `amounts[${index}]`);
      if (amounts[money.currency]) throw new BadUserInputError(`amounts[${index}].currency`, `${money.currency} is given twice`);
      amounts[money.currency] = money.minor.toString();
    }),
  );
  checks.throwIfAny();
  return amounts;
}

/** A PERCENT_DISCOUNT's percentage; null for the other kinds. */
function percentOffOf(kind: RewardKind, input: CreateRewardInput): number | null {
  if (kind !== RewardKind.PERCENT_DISCOUNT) {
    if (input.percentOff != null) throw new BadUserInputError('percentOff', 'only a PERCENT_DISCOUNT has percentOff');
    return null;
  }
  if (input.percentOff == null) throw new BadUserInputError('percentOff', 'a PERCENT_DISCOUNT needs percentOff');
  return wholeNumberOrFail(input.percentOff, 'percentOff', { min: 1, max: 100 });
}

function windowOrFail(startsAt: Date | null, endsAt: Date | null): { startsAt: Date | null; endsAt: Date | null } {
  if (startsAt && endsAt && endsAt <= startsAt) throw new BadUserInputError('endsAt', 'must be after startsAt');
  return { startsAt, endsAt };
}
