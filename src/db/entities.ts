import { AuditLog } from '../modules/audit/audit-log.entity';
import { Member } from '../modules/members/member.entity';

/** Every entity, listed explicitly: no folder scanning, same in TypeScript and compiled runs. */
export const entities = [Member, AuditLog];
