import type { EntityManager } from '@mikro-orm/postgresql';
import { isStaff } from '../../auth/principal';
import type { RequestScope } from '../../graphql/context';
import { AuditLog } from './audit-log.entity';

/** Writes the audit trail of support and admin callers; other callers are not audited. */
export class AuditService {
  constructor(private readonly scope: RequestScope) {}

  /**
   * One row per member touched (or one row with no member). Pass the transaction's EntityManager
   * when the action is a mutation, so the row commits or rolls back with it.
   */
  async record(
    action: string,
    memberIds: (string | null)[],
    details: Record<string, unknown> | null = null,
    em: EntityManager = this.scope.em,
  ): Promise<void> {
    if (!isStaff(this.scope.principal)) return;
    await this.recordForAnyCaller(action, memberIds, details, em);
  }

  /** As record, for every authenticated caller (a member exporting its own data too); the system is recorded as actor `system`. */
  async recordForAnyCaller(
    action: string,
    memberIds: (string | null)[],
    details: Record<string, unknown> | null = null,
    em: EntityManager = this.scope.em,
  ): Promise<void> {
    if (memberIds.length === 0) return;
    const principal = this.scope.principal ?? { subject: 'system', role: 'system' };
    const at = new Date();
    await em.insertMany(
      AuditLog,
      memberIds.map((memberId) => ({
        actor: principal.subject,
        role: principal.role,
        action,
        memberId,
        requestId: this.scope.requestId,
        details,
        at,
      })),
    );
  }
}
