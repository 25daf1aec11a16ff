import { Role } from '../../src/auth/principal';
import { AuditLog } from '../../src/modules/audit/audit-log.entity';
import { onlyError, startTestServer, TestServer } from '../helpers/server';
import { memberInput } from '../factories/member.factory';

const ENROLL = `mutation Enroll($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId } }`;
const RECORD = `mutation Record($input: RecordOrderInput!) { recordOrder(input: $input) { pointsEarned } }`;
const REFUND = `mutation Refund($input: RefundOrderInput!) { refundOrder(input: $input) { status } }`;
const TIERS = `query Tiers($locale: String) { tiers { code name(locale: $locale) rank threshold { amount currency } earnMultiplier perks { code source supportPriority } } }`;
const STATUS = `query Status($externalId: String) {
  member(externalId: $externalId) {
    tier { code name rank }
    tierProgress { current { code } next { code name } qualifyingSpend { amount currency } remainingToNext { amount currency } retainUntil }
    perks { code name source }
    supportPriority
    tierHistory { fromTier toTier reason qualifyingSpend { amount currency } }
  }
}`;
const LIST = `query List($query: String!) { searchMembers(query: $query, first: 10) { edges { node { externalId tier { code } supportPriority perks { code } tierHistory { fromTier toTier reason } } } } }`;
const CREATE_TIER = `mutation Create($input: CreateTierInput!) { createTier(input: $input) { code name rank threshold { amount currency } earnMultiplier } }`;
const UPDATE_TIER = `mutation Update($input: UpdateTierInput!) { updateTier(input: $input) { code name(locale: "de-DE") rank threshold { amount } earnMultiplier } }`;
const DELETE_TIER = `mutation Delete($code: String!) { deleteTier(code: $code) }`;
const CREATE_PERK = `mutation CreatePerk($input: PerkInput!) { createPerk(input: $input) { code name supportPriority } }`;
const GRANT = `mutation Grant($perk: String!, $source: String!) { grantPerk(perkCode: $perk, source: $source) { code source } }`;
const REVOKE = `mutation Revoke($perk: String!, $source: String!) { revokePerk(perkCode: $perk, source: $source) }`;

type Caller = 'anonymous' | Role;
const CALLERS: Caller[] = ['anonymous', 'member', 'storefront', 'support', 'admin'];

describe('tiers and perks over HTTP', () => {
  let server: TestServer;
  const admin = { role: 'admin' as const, subject: 'admin-tiers' };
  const shop = { role: 'storefront' as const, subject: 'shop-tiers' };
  const support = { role: 'support' as const, subject: 'agent-7' };
  const call = (caller: Caller, query: string, variables?: Record<string, unknown>) =>
    server.graphql(query, variables, caller === 'anonymous' ? undefined : { role: caller, subject: caller === 'member' ? 'tier-member-1' : `${caller}-1` });
  const codeOf = (response: { body: { errors?: { extensions?: Record<string, any> }[] } }) => response.body.errors?.[0]?.extensions?.code ?? 'OK';
  const ok = <T = any>(response: { body: { data?: any; errors?: unknown } }): T => {
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data;
  };
  const enrol = async (externalId: string, locale = 'de-DE') =>
    ok(await server.graphql(ENROLL, { input: memberInput({ externalId, email: `${externalId}@example.com`, locale }) }, admin)).enrollMember as { id: string };
  let orders = 0;
  const record = async (memberId: string, amount: string, currency = 'USD') =>
    ok(await server.graphql(RECORD, { input: { memberId, externalId: `tier-api-${++orders}`, amount: { amount, currency } } }, shop)).recordOrder.pointsEarned as number;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('lists the ladder lowest first, with thresholds in the base currency, multipliers, perks and localised names', async () => {
    const { tiers } = ok(await call('member', TIERS, { locale: 'de-DE' }));
    expect(tiers).toEqual([
      { code: 'BRONZE', name: 'Bronze', rank: 0, threshold: { amount: '0.00', currency: 'USD' }, earnMultiplier: '1', perks: [{ code: 'BIRTHDAY_GIFT', source: 'TIER:BRONZE', supportPriority: null }] },
      {
        code: 'SILVER', name: 'Silber', rank: 1, threshold: { amount: '300.00', currency: 'USD' }, earnMultiplier: '1.25',
        perks: [{ code: 'BIRTHDAY_GIFT', source: 'TIER:SILVER', supportPriority: null }, { code: 'EARN_BOOST', source: 'TIER:SILVER', supportPriority: null }],
      },
      {
        code: 'GOLD', name: 'Gold', rank: 2, threshold: { amount: '1000.00', currency: 'USD' }, earnMultiplier: '1.5',
        perks: [
          { code: 'BIRTHDAY_GIFT', source: 'TIER:GOLD', supportPriority: null },
          { code: 'EARN_BOOST', source: 'TIER:GOLD', supportPriority: null },
          { code: 'FREE_SHIPPING', source: 'TIER:GOLD', supportPriority: null },
          { code: 'PRIORITY_SUPPORT', source: 'TIER:GOLD', supportPriority: 'PRIORITY' },
        ],
      },
      {
        code: 'PLATINUM', name: 'Platin', rank: 3, threshold: { amount: '3000.00', currency: 'USD' }, earnMultiplier: '2',
        perks: [
          { code: 'BIRTHDAY_GIFT', source: 'TIER:PLATINUM', supportPriority: null },
          { code: 'DEDICATED_SUPPORT', source: 'TIER:PLATINUM', supportPriority: 'DEDICATED' },
          { code: 'EARLY_ACCESS', source: 'TIER:PLATINUM', supportPriority: null },
          { code: 'EARN_BOOST', source: 'TIER:PLATINUM', supportPriority: null },
          { code: 'FREE_SHIPPING', source: 'TIER:PLATINUM', supportPriority: null },
        ],
      },
    ]);
    expect((await Promise.all(CALLERS.map((caller) => call(caller, TIERS)))).map(codeOf)).toEqual(['UNAUTHENTICATED', 'OK', 'OK', 'OK', 'OK']);
  });

  it('shows a member its tier, progress, perks with their sources and support priority, in its own locale', async () => {
    const member = await enrol('tier-member-1', 'de-DE');
    const bronze = ok(await call('member', STATUS, { externalId: 'tier-member-1' })).member;
    expect(bronze).toEqual({
      tier: { code: 'BRONZE', name: 'Bronze', rank: 0 },
      tierProgress: { current: { code: 'BRONZE' }, next: { code: 'SILVER', name: 'Silber' }, qualifyingSpend: { amount: '0.00', currency: 'USD' }, remainingToNext: { amount: '300.00', currency: 'USD' }, retainUntil: null },
      perks: [{ code: 'BIRTHDAY_GIFT', name: 'Geburtstagsgeschenk', source: 'TIER:BRONZE' }],
      supportPriority: 'STANDARD',
      tierHistory: [],
    });
    expect(await record(member.id, '999.99')).toBe(1249); // crosses SILVER: floor(999.99 x 1.25)
    expect(await record(member.id, '0.01')).toBe(0); // reaches GOLD exactly; floor(0.01 x 1.5) = 0
    const gold = ok(await call('member', STATUS, { externalId: 'tier-member-1' })).member;
    expect(gold.tier).toEqual({ code: 'GOLD', name: 'Gold', rank: 2 });
    expect(gold.tierProgress).toMatchObject({ current: { code: 'GOLD' }, next: { code: 'PLATINUM', name: 'Platin' }, qualifyingSpend: { amount: '1000.00', currency: 'USD' }, remainingToNext: { amount: '2000.00', currency: 'USD' } });
    expect(new Date(gold.tierProgress.retainUntil).getTime()).toBeGreaterThan(Date.now() + 360 * 24 * 3600 * 1000);
    expect(gold.perks).toEqual([
      { code: 'BIRTHDAY_GIFT', name: 'Geburtstagsgeschenk', source: 'TIER:GOLD' },
      { code: 'EARN_BOOST', name: 'Mehr Punkte bei jeder Bestellung', source: 'TIER:GOLD' },
      { code: 'FREE_SHIPPING', name: 'Kostenloser Versand', source: 'TIER:GOLD' },
      { code: 'PRIORITY_SUPPORT', name: 'Bevorzugter Kundenservice', source: 'TIER:GOLD' },
    ]);
    expect(gold.supportPriority).toBe('PRIORITY');
    expect(gold.tierHistory).toEqual([
      { fromTier: 'SILVER', toTier: 'GOLD', reason: 'UPGRADE', qualifyingSpend: { amount: '1000.00', currency: 'USD' } },
      { fromTier: 'BRONZE', toTier: 'SILVER', reason: 'UPGRADE', qualifyingSpend: { amount: '999.99', currency: 'USD' } },
    ]);
    // A refund lowers qualifying spend but never the tier (only a review at the end of the period does).
    ok(await server.graphql(REFUND, { input: { orderExternalId: `tier-api-${orders}`, refundId: 'tier-refund-1', amount: { amount: '0.01', currency: 'USD' } } }, shop));
    const refunded = ok(await call('member', STATUS, { externalId: 'tier-member-1' })).member;
    expect(refunded.tier.code).toBe('GOLD');
    expect(refunded.tierProgress.qualifyingSpend).toEqual({ amount: '999.99', currency: 'USD' });
  });

  it('answers tier fields for every member of a support search list', async () => {
    const platinum = await enrol('tier-list-1', 'en-US');
    await enrol('tier-list-2', 'en-US');
    await record(platinum.id, '3000.00');
    const edges = ok(await server.graphql(LIST, { query: 'tier-list-' }, support)).searchMembers.edges;
    expect(edges.map((edge: any) => edge.node)).toEqual([
      // newest first
      { externalId: 'tier-list-2', tier: { code: 'BRONZE' }, supportPriority: 'STANDARD', perks: [{ code: 'BIRTHDAY_GIFT' }], tierHistory: [] },
      {
        externalId: 'tier-list-1', tier: { code: 'PLATINUM' }, supportPriority: 'DEDICATED', perks: ['BIRTHDAY_GIFT', 'DEDICATED_SUPPORT', 'EARLY_ACCESS', 'EARN_BOOST', 'FREE_SHIPPING'].map((code) => ({ code })),
        tierHistory: [{ fromTier: 'BRONZE', toTier: 'PLATINUM', reason: 'UPGRADE' }],
      },
    ]);
  });

  it('lets admins configure tiers and perks, keeps the ladder valid, and audits each change', async () => {
    const mutations = [
      [CREATE_TIER, { input: { code: 'ROLE_CHECK', name: 'x', rank: 90, threshold: { amount: '90000.00', currency: 'USD' } } }],
      [CREATE_PERK, { input: { code: 'ROLE_PERK', name: 'x' } }],
    ] as const;
    for (const [mutation, variables] of mutations) {
      expect((await Promise.all(CALLERS.filter((caller) => caller !== 'admin').map((caller) => call(caller, mutation, variables)))).map(codeOf)).toEqual([
        'UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN',
      ]);
    }
    const diamond = ok(await server.graphql(CREATE_TIER, { input: { code: 'diamond', name: 'Diamond', names: [{ locale: 'de', name: 'Diamant' }], rank: 4, threshold: { amount: '10000.00', currency: 'USD' }, earnMultiplier: '3' } }, admin));
    expect(diamond.createTier).toEqual({ code: 'DIAMOND', name: 'Diamond', rank: 4, threshold: { amount: '10000.00', currency: 'USD' }, earnMultiplier: '3' });
    const updated = ok(await server.graphql(UPDATE_TIER, { input: { code: 'DIAMOND', threshold: { amount: '12000.00', currency: 'USD' } } }, admin));
    expect(updated.updateTier).toEqual({ code: 'DIAMOND', name: 'Diamant', rank: 4, threshold: { amount: '12000.00' }, earnMultiplier: '3' });
    ok(await server.graphql(CREATE_PERK, { input: { code: 'CONCIERGE', name: 'Concierge', supportPriority: 'DEDICATED' } }, admin));
    expect(ok(await server.graphql(GRANT, { perk: 'CONCIERGE', source: 'tier:diamond' }, admin)).grantPerk).toEqual({ code: 'CONCIERGE', source: 'TIER:DIAMOND' });
    expect(ok(await server.graphql(GRANT, { perk: 'CONCIERGE', source: 'LTV:VIP' }, admin)).grantPerk).toEqual({ code: 'CONCIERGE', source: 'LTV:VIP' });
    expect(ok(await server.graphql(REVOKE, { perk: 'CONCIERGE', source: 'LTV:VIP' }, admin)).revokePerk).toBe(true);
    expect(ok(await server.graphql(REVOKE, { perk: 'CONCIERGE', source: 'LTV:VIP' }, admin)).revokePerk).toBe(false);
    const diamondMember = await enrol('tier-diamond-1');
    expect(await record(diamondMember.id, '12000.00')).toBe(36000);
    expect(ok(await server.graphql(STATUS, { externalId: 'tier-diamond-1' }, support)).member).toMatchObject({ tier: { code: 'DIAMOND', name: 'Diamant' }, supportPriority: 'DEDICATED' });
    expect(onlyError(await server.graphql(DELETE_TIER, { code: 'DIAMOND' }, admin)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'code' });

    const bad = async (query: string, variables: Record<string, unknown>, field: string) => {
      const error = onlyError(await server.graphql(query, variables, admin));
      expect({ code: error.extensions?.code, field: error.extensions?.field }).toEqual({ code: 'BAD_USER_INPUT', field });
      return error.message;
    };
    expect(await bad(CREATE_TIER, { input: { code: 'CHEAP', name: 'Cheap', rank: 5, threshold: { amount: '50.00', currency: 'USD' } } }, 'threshold')).toMatch(/CHEAP must need more qualifying spend than DIAMOND/);
    expect(await bad(CREATE_TIER, { input: { code: 'TWIN', name: 'Twin', rank: 2, threshold: { amount: '20000.00', currency: 'USD' } } }, 'rank')).toMatch(/taken by GOLD/);
    await bad(CREATE_TIER, { input: { code: 'EUROS', name: 'Euros', rank: 6, threshold: { amount: '20000.00', currency: 'EUR' } } }, 'threshold.currency');
    await bad(CREATE_TIER, { input: { code: 'X', name: 'X', rank: 6, threshold: { amount: '20000.00', currency: 'USD' } } }, 'code');
    await bad(CREATE_TIER, { input: { code: 'GOLD', name: 'Again', rank: 7, threshold: { amount: '20000.00', currency: 'USD' } } }, 'code');
    await bad(CREATE_TIER, { input: { code: 'FRACTION', name: 'F', rank: 8, threshold: { amount: '20000.001', currency: 'USD' } } }, 'threshold.amount');
    await bad(UPDATE_TIER, { input: { code: 'BRONZE', threshold: { amount: '1.00', currency: 'USD' } } }, 'threshold');
    await bad(UPDATE_TIER, { input: { code: 'SILVER', earnMultiplier: '-1' } }, 'earnMultiplier');
    await bad(UPDATE_TIER, { input: { code: 'SILVER', names: [{ locale: 'not a locale', name: 'x' }] } }, 'names[0].locale');
    await bad(GRANT, { perk: 'CONCIERGE', source: 'TIER:NOPE' }, 'source');
    await bad(GRANT, { perk: 'CONCIERGE', source: 'LTV:PLATINUM' }, 'source');
    await bad(CREATE_PERK, { input: { code: 'PERKLESS' } }, 'name');
    expect(onlyError(await server.graphql(UPDATE_TIER, { input: { code: 'NOPE', name: 'x' } }, admin)).extensions?.code).toBe('NOT_FOUND');
    expect(onlyError(await server.graphql(GRANT, { perk: 'NOPE', source: 'TIER:GOLD' }, admin)).extensions?.code).toBe('NOT_FOUND');

    // A tier nobody holds can go; the ladder stays valid.
    ok(await server.graphql(CREATE_TIER, { input: { code: 'TEMP', name: 'Temp', rank: 9, threshold: { amount: '99999.00', currency: 'USD' } } }, admin));
    expect(ok(await server.graphql(DELETE_TIER, { code: 'TEMP' }, admin)).deleteTier).toBe(true);
    expect(ok(await call('admin', TIERS)).tiers.map((tier: { code: string }) => tier.code)).toEqual(['BRONZE', 'SILVER', 'GOLD', 'PLATINUM', 'DIAMOND']);

    const audited = await server.orm.em.fork().find(AuditLog, { actor: admin.subject }, { orderBy: { id: 'asc' } });
    expect(audited.map((entry) => entry.action).filter((action) => /^(tier|perk)\./.test(action))).toEqual(['tier.create', 'tier.update', 'perk.create', 'perk.grant', 'perk.grant', 'perk.revoke', 'perk.revoke', 'tier.create', 'tier.delete']);
  });
});
