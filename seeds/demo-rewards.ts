import type { EntityManager } from '@mikro-orm/postgresql';
import type { Services } from '../src/app/container';
import { createRequestContext, systemScope } from '../src/graphql/context';
import type { EnrollmentInput } from '../src/modules/members/member.validation';
import { createReferral, recordSightings } from '../src/modules/referrals/referral.service';
import { RewardKind } from '../src/modules/rewards/reward.entity';
import type { CreateRewardInput } from '../src/modules/rewards/reward.service';

/** The demo catalog: every kind, names in the demo markets' languages, stock, limits, a market and a tier restriction. */
export const DEMO_REWARDS: CreateRewardInput[] = [
  {
    code: 'TOTE_BAG',
    name: 'Canvas tote bag',
    names: [
      { locale: 'en', name: 'Canvas tote bag' },
      { locale: 'de', name: 'Stofftasche' },
      { locale: 'id', name: 'Tas kanvas' },
      { locale: 'ms', name: 'Beg kanvas' },
      { locale: 'ar', name: 'حقيبة قماشية' },
      { locale: 'pt', name: 'Sacola de lona' },
      { locale: 'ja', name: 'キャンバストートバッグ' },
    ],
    kind: RewardKind.PRODUCT,
    cost: 800,
    stock: 50,
  },
  {
    code: 'FIVE_OFF',
    name: '5 off your next order',
    names: [
      { locale: 'en', name: '5 off your next order' },
      { locale: 'de', name: '5 € Rabatt auf die nächste Bestellung' },
      { locale: 'id', name: 'Potongan Rp75.000' },
      { locale: 'ja', name: '次回750円引き' },
      { locale: 'pt', name: 'R$ 25 de desconto' },
    ],
    kind: RewardKind.FIXED_DISCOUNT,
    amounts: [
      { amount: '5.00', currency: 'USD' },
      { amount: '5.00', currency: 'EUR' },
      { amount: '75000.00', currency: 'IDR' },
      { amount: '20.00', currency: 'MYR' },
      { amount: '20.00', currency: 'SAR' },
      { amount: '25.00', currency: 'BRL' },
      { amount: '750', currency: 'JPY' },
      { amount: '1.500', currency: 'KWD' },
    ],
    cost: 500,
  },
  {
    code: 'RAMADAN_15',
    name: '15% off for Ramadan',
    names: [
      { locale: 'id', name: 'Diskon Ramadan 15%' },
      { locale: 'ms', name: 'Diskaun Ramadan 15%' },
      { locale: 'ar', name: 'خصم رمضان ١٥٪' },
    ],
    kind: RewardKind.PERCENT_DISCOUNT,
    percentOff: 15,
    cost: 1200,
    perMemberLimit: 1,
    markets: ['ID', 'MY', 'SA'],
  },
  {
    code: 'FREE_SHIPPING',
    name: 'Free shipping',
    names: [
      { locale: 'de', name: 'Kostenloser Versand' },
      { locale: 'id', name: 'Gratis ongkir' },
      { locale: 'pt', name: 'Frete grátis' },
      { locale: 'ja', name: '送料無料' },
    ],
    kind: RewardKind.FREE_SHIPPING,
    cost: 300,
  },
  { code: 'SNEAKER_DROP', name: 'Limited sneaker drop', names: [{ locale: 'ja', name: '限定スニーカー' }], kind: RewardKind.PRODUCT, cost: 4000, stock: 3, perMemberLimit: 1 },
  { code: 'GOLD_LOUNGE', name: 'Gold members lounge pass', kind: RewardKind.PRODUCT, cost: 2500, stock: 20, minTierCode: 'GOLD' },
];

/** Members who sign up with a referral code: one stays PENDING (no order yet), one shares the referrer's device. */
export const DEMO_REFERRED: (EnrollmentInput & { referrerExternalId: string })[] = [
  { externalId: 'demo-ref-pending', email: 'nadia.ref@demo.perkgraph.dev', country: 'MY', locale: 'ms-MY', acquisitionChannel: 'referral', referrerExternalId: 'demo-my-1' },
  { externalId: 'demo-ref-device', email: 'theo.ref@demo.perkgraph.dev', country: 'DE', locale: 'de-DE', acquisitionChannel: 'referral', deviceId: 'demo-device-lena', referrerExternalId: 'demo-de-1' },
];

/**
 * The demo catalog and referrals in every status. The members who joined through the "referral" channel
 * get a referral from the first US member, created as at their enrolment; the referral job (run by
 * seedDemoData) qualifies those with a vested qualifying order. Idempotent.
 */
export async function seedDemoRewardsAndReferrals(em: EntityManager, members: EnrollmentInput[], now: Date, services: Services): Promise<void> {
  const scope = createRequestContext(systemScope(em, 'seed'), services);
  const existingRewards = new Set((await em.execute<{ code: string }[]>('select code from rewards')).map((row) => row.code));
  for (const reward of DEMO_REWARDS) {
    if (!existingRewards.has(reward.code)) await services.rewards.create(scope, reward);
  }

  const idOf = async (externalId: string) => {
    const [row] = await em.execute<{ id: string; referral_code: string; joined_at: Date }[]>('select id, referral_code, joined_at from members where external_id = ?', [externalId]);
    return row;
  };
  const referrer = await idOf('demo-us-1');
  for (const member of members.filter((input) => input.acquisitionChannel === 'referral')) {
    const referee = await idOf(member.externalId);
    const [existing] = await em.execute('select 1 from referrals where member_id = ?', [referee.id]);
    if (existing) continue;
    await em.transactional(async (tx) => {
      const referral = await createReferral(tx, scope.config, { id: referrer.id, referralCode: referrer.referral_code }, referee.id);
      await tx.execute('update referrals set created_at = ? where id = ?', [referee.joined_at, referral.id]);
    });
  }

  for (const { referrerExternalId, ...input } of DEMO_REFERRED) {
    const referrerRow = await idOf(referrerExternalId);
    if (input.deviceId) {
      // The referrer used this device too: the referral is rejected as DUPLICATE_DEVICE.
      await recordSightings(em, referrerRow.id, { deviceId: input.deviceId, ip: null }, scope.config.privacy.hashSecret, now);
    }
    if (!(await idOf(input.externalId))) await services.members.enroll(scope, { ...input, referralCode: referrerRow.referral_code });
  }
}
