import type { RequestScope } from '../../graphql/context';
import { bigintKeyOrFail, Connection, PageRequest, toConnection } from '../../graphql/pagination';
import { uuidOrFail } from '../../validation';
import { BadUserInputError, checkFields } from '../../errors';
import { AuditLog } from './audit-log.entity';

export interface AuditFilters {
  memberId?: string | null;
  action?: string | null;
  actor?: string | null;
  actorRole?: string | null;
}

/** The roles an audit entry can name: the token roles, and system for the programme's own jobs. */
export const AUDITED_ROLES = ['admin', 'support', 'storefront', 'member', 'system'];

/** An exact-match filter: 1 to 200 characters once trimmed. */
function textFilterOrFail(value: string, field: string): string {
  const text = value.trim();
  if (!text || text.length > 200) throw new BadUserInputError(field, 'must be 1 to 200 characters');
  return text;
}

/** Reads the audit trail (support and admin; the resolver checks the role). Stateless: the scope comes with each call. */
export class AuditTrailService {
  /**
   * Newest first; each filter given narrows it (in SQL): `memberId` to the entries about one member, `action` to one
   * action (such as points.adjust), `actor` to one token subject, `actorRole` to one role. The cursor is the entry id.
   */
  async entries(scope: RequestScope, filters: AuditFilters, page: PageRequest): Promise<Connection<AuditLog>> {
    const { memberId, action, actor, actorRole } = checkFields({
      memberId: () => (filters.memberId == null ? null : uuidOrFail(filters.memberId, 'memberId', 'is not a member id')),
      action: () => (filters.action == null ? null : textFilterOrFail(filters.action, 'action')),
      actor: () => (filters.actor == null ? null : textFilterOrFail(filters.actor, 'actor')),
      actorRole: () => {
        if (filters.actorRole == null) return null;
        const role = filters.actorRole.trim().toLowerCase();
        if (!AUDITED_ROLES.includes(role)) throw new BadUserInputError('actorRole', `must be one of ${AUDITED_ROLES.join(', ')}`);
        return role;
      },
    });
    bigintKeyOrFail(page.after);
    const rows = await scope.em.fork().find(
      AuditLog,
      {
        ...(memberId ? { memberId } : {}),
        ...(action ? { action } : {}),
        ...(actor ? { actor } : {}),
        ...(actorRole ? { role: actorRole } : {}),
        ...(page.after ? { id: { $lt: page.after } } : {}),
      },
      { orderBy: { id: 'desc' }, limit: page.first + 1 },
    );
    return toConnection(rows, page, (entry) => entry.id);
  }
}
