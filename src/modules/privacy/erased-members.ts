import type { EntityManager } from '@mikro-orm/postgresql';
import { MemberStatus } from '../members/member.entity';
import { personalDataHash } from './personal-data-hash';

/** Is this member erased? Other modules ask before storing anything new about a member. */
export async function isErasedMember(tx: EntityManager, memberId: string): Promise<boolean> {
  const [row] = await tx.execute<{ status: string }[]>('select status from members where id = ?', [memberId]);
  return row?.status === MemberStatus.ERASED;
}

/**
 * True when a Stripe payment names an erased member: by metadata.member_id, or by a customer whose keyed hash an
 * erasure kept. Such a payment earns nothing and its payload is not stored.
 */
export async function isErasedPayer(tx: EntityManager, hashSecret: string, memberId: unknown, customerId: string | null): Promise<boolean> {
  const customerHash = customerId ? personalDataHash(hashSecret, 'STRIPE_CUSTOMER', customerId) : '';
  const [row] = await tx.execute<{ erased: boolean }[]>(
    'select exists (select 1 from member_erasures where member_id::text = lower(?) or stripe_customer_hash = ?) as erased',
    [typeof memberId === 'string' ? memberId : '', customerHash],
  );
  return row.erased;
}
