import { LockMode } from '@mikro-orm/core';
import type { AuditService } from '../audit/audit.service';
import type { RequestScope } from '../../graphql/context';
import { BadUserInputError, NotFoundError } from '../../errors';
import { formatDecimal } from '../../money/decimal';
import { PointsCurrency } from './points-currency.entity';
import { toSettings } from './points-currency.service';
import { CreatePointsCurrency, pointsCurrencyInputOrFail, pointsCurrencyUpdateOrFail, UpdatePointsCurrency } from './points-currency.validation';

type Editable = 'name' | 'valueInBase' | 'expiryMonths' | 'earnsOnOrders' | 'earnRate';

/** The programme's points currencies, as admins add and change them (the resolvers check the role). Stateless: the scope comes with each call. */
export class PointsCurrencyAdmin {
  constructor(private readonly audit: AuditService) {}

  /** Every points currency, by code. */
  async list(scope: RequestScope): Promise<PointsCurrency[]> {
    return scope.em.find(PointsCurrency, {}, { orderBy: { code: 'asc' } });
  }

  /** Adds a points currency (admin), audited in the same transaction. Its code must be new; every bad field is reported. */
  async create(scope: RequestScope, input: CreatePointsCurrency): Promise<PointsCurrency> {
    const { code, name, valueInBase, earnRate, expiryMonths } = pointsCurrencyInputOrFail(input);
    return scope.em.transactional(async (tx) => {
      if (await tx.findOne(PointsCurrency, { code })) throw new BadUserInputError('code', `${code} already exists`);
      const currency = tx.create(PointsCurrency, { code, name, valueInBase, earnRate, expiryMonths, earnsOnOrders: input.earnsOnOrders });
      await tx.persistAndFlush(currency);
      await this.audit.record(scope, 'points-currency.create', [null], { code }, tx);
      return currency;
    });
  }

  /**
   * Changes a points currency's settings (admin), audited in the same transaction with each changed field's old and
   * new value. Fields left out (or null) keep their value. Only settings that act from now on can change (see
   * UpdatePointsCurrency); every field is checked before anything is read, and all problems are reported together.
   */
  async update(scope: RequestScope, input: UpdatePointsCurrency): Promise<PointsCurrency> {
    const { code, ...wanted } = pointsCurrencyUpdateOrFail(input);
    return scope.em.transactional(async (tx) => {
      const currency = await tx.findOne(PointsCurrency, { code }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!currency) throw new NotFoundError(`points currency ${code}`);
      const current = pointsCurrencyView(currency);
      const changes: Partial<Record<Editable, { from: unknown; to: unknown }>> = {};
      for (const field of Object.keys(wanted) as Editable[]) {
        const value = wanted[field];
        if (value === null || value === current[field]) continue;
        changes[field] = { from: current[field], to: value };
        Object.assign(currency, { [field]: value });
      }
      await tx.flush();
      await this.audit.record(scope, 'points-currency.update', [null], { code, changes }, tx);
      return currency;
    });
  }
}

/** A points currency as the API shows it: decimals in their shortest form (0.01, not 0.010000000000). */
export function pointsCurrencyView(currency: PointsCurrency): { code: string; name: string; valueInBase: string; earnRate: string; expiryMonths: number; earnsOnOrders: boolean } {
  const settings = toSettings(currency);
  return {
    code: settings.code,
    name: settings.name,
    valueInBase: formatDecimal(settings.valueInBase),
    earnRate: formatDecimal(settings.earnRate),
    expiryMonths: settings.expiryMonths,
    earnsOnOrders: settings.earnsOnOrders,
  };
}
