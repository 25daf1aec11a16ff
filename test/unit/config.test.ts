import { describe, it, expect } from '@jest/globals';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig } from '../../src/config/config';

const SECRET = 'a-secret-of-exactly-32-characters';

/** The ConfigError thrown for this environment. */
function configError(environment: Record<string, string>): ConfigError {
  try {
    loadConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(environment)} to be rejected`);
}

/** The variable names a ConfigError's problems start with. */
const named = (error: ConfigError) => error.problems.map((problem) => problem.split(':')[0]);

describe('loadConfig', () => {
  it('allows webhooks into private networks outside production unless WEBHOOK_ALLOW_PRIVATE_NETWORKS says otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).webhooks.allowPrivateNetworks).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false' }).webhooks.allowPrivateNetworks).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).webhooks.allowPrivateNetworks).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }).webhooks.allowPrivateNetworks).toBe(true);
    expect(named(configError({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'yes' }))).toEqual(['WEBHOOK_ALLOW_PRIVATE_NETWORKS']);
  });

  it('uses the defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
      nodeEnv: 'development',
      isProduction: false,
      port: 4000,
      databaseUrl: undefined,
      jwtSecret: DEVELOPMENT_JWT_SECRET,
      usesDevelopmentSecret: true,
      stripeWebhookSecret: undefined,
      baseCurrency: 'USD',
      logLevel: 'info',
      dataDir: '.data',
      returnWindowDays: 14,
      supportAdjustmentLimit: 5000,
      supportDailyAdjustmentLimit: 20000,
      redemptionMinPoints: 100,
      redemptionMaxCartShare: '0.5',
      jobIntervalSeconds: 60,
      tierWindowMonths: 12,
      tierRetentionMonths: 12,
      tierJobIntervalSeconds: 3600,
      birthdayGiftPoints: 500,
      homeMarket: 'US',
      highValueThresholdMinor: 100000n,
      maxOrderMinor: 100000000n,
      referral: { minOrderMinor: 2000n, referrerBonus: 500, refereeBonus: 200, monthlyCap: 20, signalWindowDays: 30, lookupFailures: 10, lookupWindowSeconds: 900 },
      ltv: { nightlyHour: 2, churnHighBelow: 0.3, churnMediumBelow: 0.7, tierPercentiles: [5, 15, 30] },
      privacy: { hashSecret: `privacy:${DEVELOPMENT_JWT_SECRET}`, sightingRetentionDays: 180 },
      webhooks: { allowPrivateNetworks: true, pointsExpiringNoticeDays: 30, workerIntervalSeconds: 1 },
    });
  });

  it('reads every variable when all are valid', () => {
    expect(
      loadConfig({
        NODE_ENV: 'production',
        PORT: '8080',
        DATABASE_URL: 'postgresql://db/perkgraph',
        JWT_SECRET: SECRET,
        STRIPE_WEBHOOK_SECRET: 'whsec_abc',
        BASE_CURRENCY: 'eur',
        LOG_LEVEL: 'warn',
        DATA_DIR: '/var/lib/perkgraph',
        DATABASE_POOL_SIZE: '24',
        RETURN_WINDOW_DAYS: '30',
        SUPPORT_ADJUSTMENT_LIMIT: '1000',
        SUPPORT_DAILY_ADJUSTMENT_LIMIT: '3000',
        REDEMPTION_MIN_POINTS: '200',
        REDEMPTION_MAX_CART_SHARE: '0.25',
        JOB_INTERVAL_SECONDS: '0',
        TIER_WINDOW_MONTHS: '6',
        TIER_RETENTION_MONTHS: '24',
        TIER_JOB_INTERVAL_SECONDS: '600',
        BIRTHDAY_GIFT_POINTS: '0',
        HOME_MARKET: 'de',
        HIGH_VALUE_THRESHOLD: '2500.5',
        MAX_ORDER_AMOUNT: '5000.00',
        REFERRAL_MIN_ORDER_MINOR: '5000',
        REFERRAL_REFERRER_BONUS: '800',
        REFERRAL_REFEREE_BONUS: '300',
        REFERRAL_MONTHLY_CAP: '5',
        REFERRAL_SIGNAL_WINDOW_DAYS: '7',
        REFERRAL_LOOKUP_FAILURES: '3',
        REFERRAL_LOOKUP_WINDOW_SECONDS: '60',
        LTV_NIGHTLY_HOUR: '-1',
        LTV_CHURN_HIGH_BELOW: '0.2',
        LTV_CHURN_MEDIUM_BELOW: '0.6',
        LTV_TIER_PERCENTILES: '1, 9,40',
        PRIVACY_HASH_SECRET: 'another-secret-of-32-characters!',
        SIGHTING_RETENTION_DAYS: '90',
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        POINTS_EXPIRING_NOTICE_DAYS: '7',
        WEBHOOK_WORKER_INTERVAL_SECONDS: '0.5',
      }),
    ).toEqual({
      nodeEnv: 'production',
      isProduction: true,
      port: 8080,
      databaseUrl: 'postgresql://db/perkgraph',
      jwtSecret: SECRET,
      usesDevelopmentSecret: false,
      stripeWebhookSecret: 'whsec_abc',
      baseCurrency: 'EUR',
      logLevel: 'warn',
      dataDir: '/var/lib/perkgraph',
      poolSize: 24,
      returnWindowDays: 30,
      supportAdjustmentLimit: 1000,
      supportDailyAdjustmentLimit: 3000,
      redemptionMinPoints: 200,
      redemptionMaxCartShare: '0.25',
      jobIntervalSeconds: 0,
      tierWindowMonths: 6,
      tierRetentionMonths: 24,
      tierJobIntervalSeconds: 600,
      birthdayGiftPoints: 0,
      homeMarket: 'DE',
      highValueThresholdMinor: 250050n,
      maxOrderMinor: 500000n,
      referral: { minOrderMinor: 5000n, referrerBonus: 800, refereeBonus: 300, monthlyCap: 5, signalWindowDays: 7, lookupFailures: 3, lookupWindowSeconds: 60 },
      ltv: { nightlyHour: -1, churnHighBelow: 0.2, churnMediumBelow: 0.6, tierPercentiles: [1, 9, 40] },
      privacy: { hashSecret: 'another-secret-of-32-characters!', sightingRetentionDays: 90 },
      webhooks: { allowPrivateNetworks: true, pointsExpiringNoticeDays: 7, workerIntervalSeconds: 0.5 },
    });
  });

  it('checks HOME_MARKET and HIGH_VALUE_THRESHOLD, the threshold against the base currency digits', () => {
    expect(configError({ HOME_MARKET: 'USA' }).problems).toEqual(['HOME_MARKET: must be an ISO 3166-1 alpha-2 country code, such as US']);
    expect(configError({ HIGH_VALUE_THRESHOLD: '-5' }).problems).toEqual(['HIGH_VALUE_THRESHOLD: must be a decimal amount in the base currency, such as 1000.00']);
    expect(configError({ HIGH_VALUE_THRESHOLD: '1000.5', BASE_CURRENCY: 'JPY', PORT: 'x' }).problems.sort()).toEqual(['HIGH_VALUE_THRESHOLD: JPY has 0 fraction digits', 'PORT: Invalid input: expected number, received NaN']);
    expect(loadConfig({ HIGH_VALUE_THRESHOLD: '150000.00', BASE_CURRENCY: 'JPY' }).highValueThresholdMinor).toBe(150000n);
    expect(loadConfig({ BASE_CURRENCY: 'JPY' }).highValueThresholdMinor).toBe(1000n);
  });

  it('checks MAX_ORDER_AMOUNT: a positive amount in the base currency', () => {
    expect(loadConfig({ MAX_ORDER_AMOUNT: '250.50' }).maxOrderMinor).toBe(25050n);
    expect(loadConfig({ BASE_CURRENCY: 'JPY' }).maxOrderMinor).toBe(1000000n);
    expect(configError({ MAX_ORDER_AMOUNT: '0.00' }).problems).toEqual(['MAX_ORDER_AMOUNT: must be greater than zero']);
    expect(configError({ MAX_ORDER_AMOUNT: '1e9' }).problems).toEqual(['MAX_ORDER_AMOUNT: must be a decimal amount in the base currency, such as 1000000.00']);
    expect(configError({ MAX_ORDER_AMOUNT: '10.5', BASE_CURRENCY: 'JPY' }).problems).toEqual(['MAX_ORDER_AMOUNT: JPY has 0 fraction digits']);
  });

  it('rejects LTV settings that cannot work, naming each variable', () => {
    expect(named(configError({ LTV_NIGHTLY_HOUR: '24' }))).toEqual(['LTV_NIGHTLY_HOUR']);
    expect(new Set(named(configError({ LTV_CHURN_HIGH_BELOW: '1.5' })))).toEqual(new Set(['LTV_CHURN_HIGH_BELOW']));
    expect(named(configError({ LTV_CHURN_HIGH_BELOW: '0.8', LTV_CHURN_MEDIUM_BELOW: '0.5' }))).toEqual(['LTV_CHURN_HIGH_BELOW']);
    for (const percentiles of ['5,15', '50,40,20', 'a,b,c', '5,-1,30']) {
      expect(named(configError({ LTV_TIER_PERCENTILES: percentiles }))).toEqual(['LTV_TIER_PERCENTILES']);
    }
  });

  it('takes DATABASE_POOL_SIZE as a whole number of connections from 1 to 200, and leaves the default when unset or empty', () => {
    expect(loadConfig({}).poolSize).toBeUndefined();
    expect(loadConfig({ DATABASE_POOL_SIZE: '' }).poolSize).toBeUndefined();
    expect(loadConfig({ DATABASE_POOL_SIZE: '1' }).poolSize).toBe(1);
    for (const bad of ['0', '201', '2.5', 'ten']) expect(named(configError({ DATABASE_POOL_SIZE: bad }))).toEqual(['DATABASE_POOL_SIZE']);
  });

  it('treats empty DATABASE_URL, JWT_SECRET and STRIPE_WEBHOOK_SECRET as unset', () => {
    const config = loadConfig({ DATABASE_URL: '', JWT_SECRET: '', STRIPE_WEBHOOK_SECRET: '' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.jwtSecret).toBe(DEVELOPMENT_JWT_SECRET);
    expect(config.usesDevelopmentSecret).toBe(true);
    expect(config.stripeWebhookSecret).toBeUndefined();
  });

  it('accepts postgres:// as well as postgresql:// URLs', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@h:5432/d' }).databaseUrl).toBe('postgres://u:p@h:5432/d');
  });

  it('accepts the port bounds 0 and 65535', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '' }).port).toBe(4000);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
  });

  it.each(['abc', '70000', '65536', '-1', '80.5'])('rejects PORT %p', (PORT) => {
    const error = configError({ PORT });
    expect(named(error)).toEqual(['PORT']);
    expect(error.message).toContain('PORT');
  });

  it('rejects a DATABASE_URL that is not PostgreSQL', () => {
    const error = configError({ DATABASE_URL: 'mysql://x' });
    expect(error.problems).toEqual(['DATABASE_URL: must be a postgres:// or postgresql:// URL']);
    expect(error.message).toBe('Invalid environment:\n  - DATABASE_URL: must be a postgres:// or postgresql:// URL');
  });

  it('upper-cases BASE_CURRENCY and rejects codes that are not tender currencies', () => {
    expect(loadConfig({ BASE_CURRENCY: 'eur' }).baseCurrency).toBe('EUR');
    expect(loadConfig({ BASE_CURRENCY: 'JPY' }).baseCurrency).toBe('JPY');
    for (const BASE_CURRENCY of ['ZZZ', 'XAU', '']) {
      expect(configError({ BASE_CURRENCY }).problems).toEqual(['BASE_CURRENCY: must be an ISO 4217 currency code']);
    }
  });

  it('requires JWT_SECRET in production', () => {
    expect(configError({ NODE_ENV: 'production' }).problems).toEqual(['JWT_SECRET: is required when NODE_ENV=production']);
    expect(configError({ NODE_ENV: 'production', JWT_SECRET: '' }).problems).toEqual(['JWT_SECRET: is required when NODE_ENV=production']);
  });

  it('does not require JWT_SECRET in test', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).usesDevelopmentSecret).toBe(true);
  });

  it('rejects a JWT_SECRET shorter than 32 characters, in any environment', () => {
    expect(configError({ JWT_SECRET: 'x'.repeat(31) }).problems).toEqual(['JWT_SECRET: must be at least 32 characters']);
    expect(named(configError({ NODE_ENV: 'production', JWT_SECRET: 'short' }))).toEqual(['JWT_SECRET']);
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(32) }).jwtSecret).toBe('x'.repeat(32));
  });

  it('rejects a STRIPE_WEBHOOK_SECRET without the whsec_ prefix', () => {
    expect(configError({ STRIPE_WEBHOOK_SECRET: 'sk_live_123' }).problems).toEqual(['STRIPE_WEBHOOK_SECRET: must start with whsec_']);
  });

  it.each([
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
  ])('rejects %s=%p', (name, value) => {
    expect(named(configError({ [name]: value }))).toEqual([name]);
  });

  it('names every bad variable in one error', () => {
    const error = configError({
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      JWT_SECRET: 'short',
      STRIPE_WEBHOOK_SECRET: 'nope',
      BASE_CURRENCY: 'ZZZ',
      LOG_LEVEL: 'loud',
    });
    expect(error.problems).toHaveLength(6);
    expect(named(error).sort()).toEqual(['BASE_CURRENCY', 'DATABASE_URL', 'JWT_SECRET', 'LOG_LEVEL', 'PORT', 'STRIPE_WEBHOOK_SECRET']);
    for (const name of named(error)) expect(error.message).toContain(`  - ${name}: `);
  });

  it('names a missing production JWT_SECRET alongside another bad variable', () => {
    const error = configError({ NODE_ENV: 'production', LOG_LEVEL: 'loud' });
    expect(named(error).sort()).toEqual(['JWT_SECRET', 'LOG_LEVEL']);
  });

  it.each(['RETURN_WINDOW_DAYS', 'SUPPORT_ADJUSTMENT_LIMIT', 'REDEMPTION_MIN_POINTS', 'JOB_INTERVAL_SECONDS'])('rejects a negative %s', (name) => {
    expect(named(configError({ [name]: '-1' }))).toEqual([name]);
  });

  it.each(['1.5', '-0.5', 'half', '0.1234567'])('rejects REDEMPTION_MAX_CART_SHARE %p', (share) => {
    expect(named(configError({ REDEMPTION_MAX_CART_SHARE: share }))).toEqual(['REDEMPTION_MAX_CART_SHARE']);
  });
});
