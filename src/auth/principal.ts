export const ROLES = ['member', 'storefront', 'support', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the verified claims of a bearer token. */
export interface Principal {
  /** For a member token, the member's externalId; otherwise the caller's own id. */
  subject: string;
  role: Role;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Support and admin reads and mutations of members are written to the audit log. */
export function isStaff(principal: Principal | undefined): boolean {
  return principal?.role === 'support' || principal?.role === 'admin';
}

/**
 * The only member (externalId) a caller may act on: its own for a member token, null (any) for other roles.
 * The ledger's database functions check it (ledger_member_or_fail).
 */
export function onlyMemberOf(principal: Principal | undefined): string | null {
  return principal?.role === 'member' ? principal.subject : null;
}
