import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext, RequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import { Principal } from '../../src/auth/principal';
import { AuditLog } from '../../src/modules/audit/audit-log.entity';
import { Member } from '../../src/modules/members/member.entity';
import { pageRequest } from '../../src/graphql/pagination';
import { openTestOrm, TestOrm } from '../helpers/database';
import { memberInput } from '../factories/member.factory';

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const logger = createLogger('silent');

describe('MemberService', () => {
  let db: TestOrm;
  let requests = 0;
  /** A fresh request context (own EntityManager), as the server builds per request. */
  const services = createServices();
  const as = (principal?: Principal): RequestContext =>
    createRequestContext({ em: db.orm.em.fork(), principal, requestId: `request-${++requests}`, config, logger }, services);

  beforeAll(async () => {
    db = await openTestOrm(8);
  });
  afterAll(() => db.close());

  describe('enroll', () => {
    it('stores the member normalised', async () => {
      const member = await services.members.enroll(
        as(),
        memberInput({
          externalId: 'norm-1',
          email: '  Siti.Rahma@Example.COM ',
          country: 'id',
          locale: 'id-id',
          birthday: '03-14',
          acquisitionChannel: 'TikTok',
          acquisitionCost: { amount: '150000.00', currency: 'idr' },
          joinedAt: new Date('2025-01-02T03:04:05Z'),
        }),
      );
      const stored = await db.orm.em.fork().findOneOrFail(Member, { id: member.id });
      expect(stored).toMatchObject({
        externalId: 'norm-1',
        email: 'siti.rahma@example.com',
        country: 'ID',
        locale: 'id-ID',
        birthday: '03-14',
        acquisitionChannel: 'tiktok',
        acquisitionCostMinor: 15000000n,
        acquisitionCostCurrency: 'IDR',
        status: 'ACTIVE',
      });
      expect(stored.joinedAt.toISOString()).toBe('2025-01-02T03:04:05.000Z');
    });

    it('returns the same member for the same input, and refuses other input for the same externalId', async () => {
      const input = memberInput({ externalId: 'replay-1' });
      const first = await services.members.enroll(as(), input);
      const again = await services.members.enroll(as(), { ...input, email: input.email.toUpperCase() });
      expect(again.id).toBe(first.id);
      await expect(services.members.enroll(as(), { ...input, country: 'FR' })).rejects.toMatchObject({
        extensions: { code: 'IDEMPOTENCY_CONFLICT' },
      });
      expect(await db.orm.em.fork().count(Member, { externalId: 'replay-1' })).toBe(1);
    });

    it('enrols exactly one member when 20 callers enrol the same externalId at once', async () => {
      const input = memberInput({ externalId: 'race-1' });
      const results = await Promise.all(Array.from({ length: 20 }, () => services.members.enroll(as(), input)));
      expect(new Set(results.map((member) => member.id)).size).toBe(1);
      expect(await db.orm.em.fork().count(Member, { externalId: 'race-1' })).toBe(1);
    });

    it('refuses an email that belongs to another member, naming the field', async () => {
      const taken = memberInput();
      await services.members.enroll(as(), taken);
      await expect(services.members.enroll(as(), memberInput({ email: taken.email }))).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', field: 'email' },
      });
    });

    it('audits an admin enrolment once, and not a storefront one', async () => {
      const adminInput = memberInput();
      const admin: Principal = { role: 'admin', subject: 'alice-admin' };
      const member = await services.members.enroll(as(admin), adminInput);
      await services.members.enroll(as(admin), adminInput); // replay: no second row
      const storefrontMember = await services.members.enroll(as({ role: 'storefront', subject: 'shop-1' }), memberInput());
      const em = db.orm.em.fork();
      const rows = await em.find(AuditLog, { memberId: { $in: [member.id, storefrontMember.id] } });
      expect(rows.map(({ actor, role, action, memberId }) => ({ actor, role, action, memberId }))).toEqual([
        { actor: 'alice-admin', role: 'admin', action: 'member.enroll', memberId: member.id },
      ]);
      expect(rows[0].requestId).toMatch(/^request-\d+$/);
    });
  });

  describe('find', () => {
    it('finds by id, externalId or email, and null when nobody matches', async () => {
      const member = await services.members.enroll(as(), memberInput({ email: 'find.me@example.com' }));
      const support: Principal = { role: 'support', subject: 'agent-7' };
      expect((await services.members.find(as(support), { id: member.id }))?.externalId).toBe(member.externalId);
      expect((await services.members.find(as(support), { externalId: member.externalId }))?.id).toBe(member.id);
      expect((await services.members.find(as(support), { email: 'FIND.ME@example.com' }))?.id).toBe(member.id);
      expect(await services.members.find(as(support), { externalId: 'nobody' })).toBeNull();
    });

    it('needs exactly one selector and a well-formed id', async () => {
      const support: Principal = { role: 'support', subject: 'agent-7' };
      await expect(services.members.find(as(support), {})).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      await expect(services.members.find(as(support), { externalId: 'a', email: 'b@example.com' })).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT' },
      });
      await expect(services.members.find(as(support), { id: 'not-a-uuid' })).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', field: 'id' },
      });
    });

    it('lets a member read only itself', async () => {
      const own = await services.members.enroll(as(), memberInput());
      const other = await services.members.enroll(as(), memberInput());
      const principal: Principal = { role: 'member', subject: own.externalId };
      expect((await services.members.find(as(principal), { id: own.id }))?.id).toBe(own.id);
      await expect(services.members.find(as(principal), { id: other.id })).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
      expect((await services.members.me(as(principal)))?.id).toBe(own.id);
    });

    it('writes one audit row per support read, none for a storefront read', async () => {
      const member = await services.members.enroll(as(), memberInput());
      await services.members.find(as({ role: 'support', subject: 'agent-9' }), { id: member.id });
      await services.members.find(as({ role: 'storefront', subject: 'shop-1' }), { id: member.id });
      const rows = await db.orm.em.fork().find(AuditLog, { memberId: member.id });
      expect(rows.map(({ actor, role, action }) => ({ actor, role, action }))).toEqual([{ actor: 'agent-9', role: 'support', action: 'member.read' }]);
    });
  });

  describe('search', () => {
    it('pages through email and externalId prefix matches, newest first', async () => {
      const ctx = as();
      const created: Member[] = [];
      for (let i = 0; i < 5; i += 1) {
        created.push(await ctx.members.enroll(ctx, memberInput({ externalId: `srch-${i}`, email: `srch${i}@shop.example` })));
      }
      await ctx.members.enroll(ctx, memberInput({ externalId: 'other-x', email: 'srch_under@shop.example' }));
      const support: Principal = { role: 'support', subject: 'agent-1' };
      const first = await services.members.search(as(support), 'srch-', pageRequest(2, undefined));
      expect(first.edges.map((edge) => edge.node.externalId)).toEqual(['srch-4', 'srch-3']);
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = await services.members.search(as(support), 'srch-', pageRequest(2, first.pageInfo.endCursor));
      const third = await services.members.search(as(support), 'srch-', pageRequest(2, second.pageInfo.endCursor));
      expect([...second.edges, ...third.edges].map((edge) => edge.node.externalId)).toEqual(['srch-2', 'srch-1', 'srch-0']);
      expect(third.pageInfo.hasNextPage).toBe(false);
      // "_" is a LIKE wildcard: it must match only itself.
      const byEmail = await services.members.search(as(support), 'SRCH_', pageRequest(10, undefined));
      expect(byEmail.edges.map((edge) => edge.node.externalId)).toEqual(['other-x']);
      // A referral code matches exactly, in any case.
      const byCode = await services.members.search(as(support), created[3].referralCode.toLowerCase(), pageRequest(10, undefined));
      expect(byCode.edges.map((edge) => edge.node.externalId)).toEqual(['srch-3']);
      const audited = await db.orm.em.fork().count(AuditLog, { action: 'member.search', actor: 'agent-1' });
      expect(audited).toBe(2 + 2 + 1 + 1 + 1);
    });
  });
});
