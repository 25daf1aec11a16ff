import type { RequestScope } from '../../graphql/context';
import { bigintKeyOrFail, Connection, PageRequest, toConnection } from '../../graphql/pagination';
import { uuidOrFail } from '../../validation';
import { AuditLog } from './audit-log.entity';

/** Reads the audit trail (support and admin; the resolver checks the role). Stateless: the scope comes with each call. */
export class AuditTrailService {
  /** Newest first; `memberId` narrows it to the entries about one member. The cursor is the entry id. */
  async entries(scope: RequestScope, memberId: string | null, page: PageRequest): Promise<Connection<AuditLog>> {
    const member = memberId == null ? null : uuidOrFail(memberId, 'memberId', 'is not a member id');
    bigintKeyOrFail(page.after);
    const rows = await scope.em.fork().find(
      AuditLog,
      { ...(member ? { memberId: member } : {}), ...(page.after ? { id: { $lt: page.after } } : {}) },
      { orderBy: { id: 'desc' }, limit: page.first + 1 },
    );
    return toConnection(rows, page, (entry) => entry.id);
  }
}
