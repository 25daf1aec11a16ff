import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { DEFAULT_PAGE_SIZE, pageRequest } from '../../graphql/pagination';
import { AuditEntryConnection, AuditEntryView, MemberDataExportView, MemberErasureView } from './privacy.types';

@Resolver()
export class PrivacyResolver {
  @Authorized('support', 'admin')
  @Query(() => AuditEntryConnection, {
    description:
      'The audit trail, newest first: support and admin reads of members and every support or admin change. memberId narrows it to entries about one member; action, actor and actorRole to entries with exactly that action, token subject or role. Support and admin.',
  })
  async auditLog(
    @Ctx() context: RequestContext,
    @Arg('memberId', () => ID, { nullable: true }) memberId: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('action', () => String, { nullable: true, description: 'Only entries with this action, such as points.adjust.' }) action?: string | null,
    @Arg('actor', () => String, { nullable: true, description: 'Only entries by this token subject.' }) actor?: string | null,
    @Arg('actorRole', () => String, { nullable: true, description: 'Only entries by callers of this role: admin, support, storefront, member or system.' }) actorRole?: string | null,
  ) {
    const connection = await context.auditTrail.entries(context, { memberId, action, actor, actorRole }, pageRequest(first ?? DEFAULT_PAGE_SIZE, after));
    return { ...connection, edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: AuditEntryView.of(edge.node) })) };
  }

  @Authorized('admin', 'support', 'member')
  @Query(() => MemberDataExportView, {
    description: 'Everything the programme holds about one member, as one JSON document (GDPR articles 15 and 20). Admin, support, or the member itself. Audited.',
  })
  async memberDataExport(@Ctx() context: RequestContext, @Arg('memberId', () => ID) memberId: string): Promise<MemberDataExportView> {
    return Object.assign(new MemberDataExportView(), await context.dataExport.export(context, memberId));
  }

  @Authorized('admin')
  @Mutation(() => MemberErasureView, {
    description:
      "Erase a member's personal data (GDPR article 17; admin). Idempotent on idempotencyKey. The member becomes ERASED and can no longer be found by email or external id; its open holds are released and its points forfeited through the ledger; orders and ledger entries stay for the accounts, pseudonymised.",
  })
  async eraseMember(
    @Ctx() context: RequestContext,
    @Arg('memberId', () => ID) memberId: string,
    @Arg('reason') reason: string,
    @Arg('idempotencyKey') idempotencyKey: string,
  ): Promise<MemberErasureView> {
    return Object.assign(new MemberErasureView(), await context.erasure.erase(context, memberId, reason, idempotencyKey));
  }
}
