import type { EntityManager } from '@mikro-orm/postgresql';
import { isStaff } from '../../auth/principal';
import type { RequestScope } from '../../graphql/context';
import { AuditLog } from './audit-log.entity';

/** Writes the audit trail of support and admin callers; other callers are not audited. Stateless: the scope comes with each call. */
export class AuditService {
  /** True when `record` writes an entry for this scope's caller (support and admin callers). */
  audits(scope: RequestScope): boolean {
    return isStaff(scope.principal);
  }

  /**
   * One row per member touched (or one row with no member). Pass the transaction's EntityManager
   * when the action is a mutation, so the row commits or rolls back with it.
   */
  async record(
    scope: RequestScope,
    action: string,
    memberIds: (string | null)[],
    details: Record<string, unknown> | null = null,
    em: EntityManager = scope.em,
  ): Promise<void> {
    if (!this.audits(scope)) return;
    await this.recordForAnyCaller(scope, action, memberIds, details, em);
  }

  /** As record, for every authenticated caller (a member exporting its own data too); the system is recorded as actor `system`. */
  async recordForAnyCaller(
    scope: RequestScope,
    action: string,
    memberIds: (string | null)[],
    details: Record<string, unknown> | null = null,
    em: EntityManager = scope.em,
  ): Promise<void> {
    if (memberIds.length === 0) return;
    const principal = scope.principal ?? { subject: 'system', role: 'system' };
    const at = new Date();
    await em.insertMany(
      AuditLog,
      memberIds.map((memberId) => ({
        actor: principal.subject,
        role: principal.role,
        action,
        memberId,
        requestId: scope.requestId,
        details,
        at,
      })),
    );
  }
}
