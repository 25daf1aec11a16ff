import { z } from 'zod';
import { isCurrencyCode, minorUnitDigits } from '../money/currency';
import { parseMoney } from '../money/money';

/** Used when JWT_SECRET is unset outside production; the server logs that it does so. */
export const DEVELOPMENT_JWT_SECRET = 'perkgraph-development-secret-do-not-use-in-production';

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

const environmentSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(4000)),
    DATABASE_URL: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
        .optional(),
    ),
    JWT_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
    STRIPE_WEBHOOK_SECRET: z.preprocess(emptyAsUndefined, z.string().startsWith('whsec_', 'must start with whsec_').optional()),
    BASE_CURRENCY: z
      .string()
      .default('USD')
      .transform((code) => code.toUpperCase())
      .refine(isCurrencyCode, 'must be an ISO 4217 currency code'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATA_DIR: z.string().default('.data'),
    DATABASE_POOL_SIZE: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(200).optional()),
    RETURN_WINDOW_DAYS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(365).default(14)),
    SUPPORT_ADJUSTMENT_LIMIT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(5000)),
    SUPPORT_DAILY_ADJUSTMENT_LIMIT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(20000)),
    REDEMPTION_MIN_POINTS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).default(100)),
    REDEMPTION_MAX_CART_SHARE: z.preprocess(
      emptyAsUndefined,
      z.string().regex(/^(0(\.\d{1,6})?|1(\.0{1,6})?)$/, 'must be a decimal between 0 and 1, such as 0.5').default('0.5'),
    ),
    JOB_INTERVAL_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(60)),
    TIER_WINDOW_MONTHS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(120).default(12)),
    TIER_RETENTION_MONTHS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(120).default(12)),
    TIER_JOB_INTERVAL_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(3600)),
    BIRTHDAY_GIFT_POINTS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(500)),
    HOME_MARKET: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .default('US')
        .transform((code) => code.toUpperCase())
        .refine((code) => /^[A-Z]{2}$/.test(code), 'must be an ISO 3166-1 alpha-2 country code, such as US'),
    ),
    HIGH_VALUE_THRESHOLD: z.preprocess(
      emptyAsUndefined,
      z.string().regex(/^\d{1,15}(\.\d{1,6})?$/, 'must be a decimal amount in the base currency, such as 1000.00').default('1000.00'),
    ),
    MAX_ORDER_AMOUNT: z.preprocess(
      emptyAsUndefined,
      z.string().regex(/^\d{1,15}(\.\d{1,6})?$/, 'must be a decimal amount in the base currency, such as 1000000.00')
        .refine((amount) => /[1-9]/.test(amount), 'must be greater than zero')
        .default('1000000.00'),
    ),
    REFERRAL_MIN_ORDER_MINOR: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(2000)),
    REFERRAL_REFERRER_BONUS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(500)),
    REFERRAL_REFEREE_BONUS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(200)),
    REFERRAL_MONTHLY_CAP: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(20)),
    REFERRAL_SIGNAL_WINDOW_DAYS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(3650).default(30)),
    REFERRAL_LOOKUP_FAILURES: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).default(10)),
    REFERRAL_LOOKUP_WINDOW_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).default(900)),
    PRIVACY_HASH_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
    SIGHTING_RETENTION_DAYS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(3650).default(180)),
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: z.preprocess(emptyAsUndefined, z.enum(['true', 'false']).optional()),
    WEBHOOK_WORKER_INTERVAL_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().min(0).max(3600).default(1)),
    POINTS_EXPIRING_NOTICE_DAYS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(365).default(30)),
    LTV_NIGHTLY_HOUR: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(-1).max(23).default(2)),
    LTV_CHURN_HIGH_BELOW: z.preprocess(emptyAsUndefined, z.coerce.number().min(0).max(1).default(0.3)),
    LTV_CHURN_MEDIUM_BELOW: z.preprocess(emptyAsUndefined, z.coerce.number().min(0).max(1).default(0.7)),
    LTV_TIER_PERCENTILES: z
      .string()
      .default('5,15,30')
      .transform((text) => text.split(',').map((part) => Number(part.trim())))
      .refine(
        (shares) => shares.length === 3 && shares.every((share) => Number.isFinite(share) && share >= 0) && shares[0] + shares[1] + shares[2] <= 100,
        'must be three percentages "VIP,HIGH,MEDIUM" (the top shares of members with orders), summing to at most 100, such as 5,15,30',
      ),
  })
  .refine((env) => env.LTV_CHURN_HIGH_BELOW <= env.LTV_CHURN_MEDIUM_BELOW, {
    message: 'must not be above LTV_CHURN_MEDIUM_BELOW',
    path: ['LTV_CHURN_HIGH_BELOW'],
  });

export interface Config {
  nodeEnv: 'development' | 'test' | 'production';
  isProduction: boolean;
  port: number;
  /** Unset: the embedded PGlite database under dataDir. */
  databaseUrl?: string;
  jwtSecret: string;
  /** True when jwtSecret is the fixed development secret. */
  usesDevelopmentSecret: boolean;
  stripeWebhookSecret?: string;
  baseCurrency: string;
  logLevel: string;
  dataDir: string;
  /** Connections per process to the database; unset: 10 to PostgreSQL, 4 to the embedded database. */
  poolSize?: number;
  /** Points earned on an order stay pending this long after it was placed. */
  returnWindowDays: number;
  /** Largest single adjustment (either sign) a support agent may make. */
  supportAdjustmentLimit: number;
  /** Most points (absolute) one support agent may adjust per UTC day. */
  supportDailyAdjustmentLimit: number;
  redemptionMinPoints: number;
  /** Share of a cart points may pay for, as a decimal string ("0.5"). */
  redemptionMaxCartShare: string;
  /** How often the ledger jobs (hold expiry, vesting, point expiry) run; 0 turns them off. */
  jobIntervalSeconds: number;
  /** Qualifying spend for tiers is counted over this many months up to now. */
  tierWindowMonths: number;
  /** A tier reached is kept at least this long before a review may downgrade it (one tier at a time). */
  tierRetentionMonths: number;
  /** How often the tier jobs (review, upgrade sweep, birthday gifts) run; 0 turns them off. */
  tierJobIntervalSeconds: number;
  /** PTS granted on a member's birthday to members whose perks include BIRTHDAY_GIFT; 0 turns it off. */
  birthdayGiftPoints: number;
  /** ISO 3166-1 alpha-2: members with another country count as overseas in the growth metrics. */
  homeMarket: string;
  /** Minor units of the base currency: members whose 12-month net spend is above it are high-value. */
  highValueThresholdMinor: bigint;
  /** Minor units of the base currency: the largest order recordOrder (and a Stripe payment) accepts. */
  maxOrderMinor: bigint;
  referral: ReferralSettings;
  ltv: LtvSettings;
  privacy: PrivacySettings;
  webhooks: WebhookSettings;
}

/** Personal data at rest (README: Privacy). */
export interface PrivacySettings {
  /** Key of the HMAC that device ids, IPs and erased Stripe customer ids are stored as. */
  hashSecret: string;
  /** Device and IP sightings older than this many days are deleted. */
  sightingRetentionDays: number;
}

/** Outbound webhooks (README: Outbound webhooks). */
export interface WebhookSettings {
  /** http URLs and loopback or private addresses are accepted (WEBHOOK_ALLOW_PRIVATE_NETWORKS; unset: outside production). */
  allowPrivateNetworks: boolean;
  /** points.expiring is sent for lots expiring within this many days. */
  pointsExpiringNoticeDays: number;
  /** How often the delivery worker looks for due deliveries (seconds, may be fractional); 0 turns it off. */
  workerIntervalSeconds: number;
}

/** Referral programme settings (README: Referrals and rewards). */
export interface ReferralSettings {
  /** The smallest qualifying order, in minor units of the base currency, net of refunds. */
  minOrderMinor: bigint;
  referrerBonus: number;
  refereeBonus: number;
  /** Most referrals that may qualify per referrer per calendar month (UTC); beyond it they are REJECTED. */
  monthlyCap: number;
  /** A referee seen with the referrer's device id or IP within this many days is rejected. */
  signalWindowDays: number;
  /** Failed referral code look-ups allowed per client and window before RATE_LIMITED. */
  lookupFailures: number;
  lookupWindowSeconds: number;
}

/** LTV run settings (see src/modules/ltv/ltv-policy.ts). */
export interface LtvSettings {
  /** UTC hour of the nightly LTV run; -1 turns it off (so does JOB_INTERVAL_SECONDS=0). */
  nightlyHour: number;
  /** Churn risk HIGH when probability alive is below this, MEDIUM below mediumBelow, else LOW. */
  churnHighBelow: number;
  churnMediumBelow: number;
  /** Shares (percent) of members with orders, by predicted 12-month value: [VIP, HIGH, MEDIUM]; LOW the rest. */
  tierPercentiles: [number, number, number];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** "1000.00" -> "1000", "12.50" -> "12.5": the default 1000.00 also suits a base currency without decimals. */
function withoutTrailingZeros(amount: string): string {
  return amount.includes('.') ? amount.replace(/\.?0+$/, '') : amount;
}

/** An amount in the base currency may have no more (non-zero) fraction digits than that currency has. */
function baseAmountProblem(environment: NodeJS.ProcessEnv, variable: 'HIGH_VALUE_THRESHOLD' | 'MAX_ORDER_AMOUNT'): string | undefined {
  const base = (environment.BASE_CURRENCY || 'USD').toUpperCase();
  const fraction = /^\d+\.(\d+)$/.exec(withoutTrailingZeros(environment[variable] ?? ''))?.[1];
  const digits = minorUnitDigits(base);
  if (fraction === undefined || digits === undefined || fraction.length <= digits) return undefined;
  return `${variable}: ${base} has ${digits} fraction digits`;
}

/** Parses and validates the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(environment);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  // Checked apart from the schema so that it is reported together with any other bad variable.
  if (environment.NODE_ENV === 'production' && !environment.JWT_SECRET) problems.push('JWT_SECRET: is required when NODE_ENV=production');
  for (const variable of ['HIGH_VALUE_THRESHOLD', 'MAX_ORDER_AMOUNT'] as const) {
    const problem = baseAmountProblem(environment, variable);
    if (problem) problems.push(problem);
  }
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const env = parsed.data;
  const threshold = parseMoney(withoutTrailingZeros(env.HIGH_VALUE_THRESHOLD), env.BASE_CURRENCY, 'HIGH_VALUE_THRESHOLD', { allowZero: true }).minor;
  return {
    nodeEnv: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    port: env.PORT,
    databaseUrl: env.DATABASE_URL,
    jwtSecret: env.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
    usesDevelopmentSecret: env.JWT_SECRET === undefined,
    stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET,
    baseCurrency: env.BASE_CURRENCY,
    logLevel: env.LOG_LEVEL,
    dataDir: env.DATA_DIR,
    poolSize: env.DATABASE_POOL_SIZE,
    returnWindowDays: env.RETURN_WINDOW_DAYS,
    supportAdjustmentLimit: env.SUPPORT_ADJUSTMENT_LIMIT,
    supportDailyAdjustmentLimit: env.SUPPORT_DAILY_ADJUSTMENT_LIMIT,
    redemptionMinPoints: env.REDEMPTION_MIN_POINTS,
    redemptionMaxCartShare: env.REDEMPTION_MAX_CART_SHARE,
    jobIntervalSeconds: env.JOB_INTERVAL_SECONDS,
    tierWindowMonths: env.TIER_WINDOW_MONTHS,
    tierRetentionMonths: env.TIER_RETENTION_MONTHS,
    tierJobIntervalSeconds: env.TIER_JOB_INTERVAL_SECONDS,
    birthdayGiftPoints: env.BIRTHDAY_GIFT_POINTS,
    homeMarket: env.HOME_MARKET,
    highValueThresholdMinor: threshold,
    maxOrderMinor: parseMoney(withoutTrailingZeros(env.MAX_ORDER_AMOUNT), env.BASE_CURRENCY, 'MAX_ORDER_AMOUNT').minor,
    referral: {
      minOrderMinor: BigInt(env.REFERRAL_MIN_ORDER_MINOR),
      referrerBonus: env.REFERRAL_REFERRER_BONUS,
      refereeBonus: env.REFERRAL_REFEREE_BONUS,
      monthlyCap: env.REFERRAL_MONTHLY_CAP,
      signalWindowDays: env.REFERRAL_SIGNAL_WINDOW_DAYS,
      lookupFailures: env.REFERRAL_LOOKUP_FAILURES,
      lookupWindowSeconds: env.REFERRAL_LOOKUP_WINDOW_SECONDS,
    },
    ltv: {
      nightlyHour: env.LTV_NIGHTLY_HOUR,
      churnHighBelow: env.LTV_CHURN_HIGH_BELOW,
      churnMediumBelow: env.LTV_CHURN_MEDIUM_BELOW,
      tierPercentiles: env.LTV_TIER_PERCENTILES as [number, number, number],
    },
    privacy: {
      // Unset: a key derived from the JWT secret (HMAC keys separated by the prefix); set it to rotate the two apart.
      hashSecret: env.PRIVACY_HASH_SECRET ?? `privacy:${env.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET}`,
      sightingRetentionDays: env.SIGHTING_RETENTION_DAYS,
    },
    webhooks: {
      // Unset: allowed in development and test only; an explicit true or false wins.
      allowPrivateNetworks: env.WEBHOOK_ALLOW_PRIVATE_NETWORKS ? env.WEBHOOK_ALLOW_PRIVATE_NETWORKS === 'true' : env.NODE_ENV !== 'production',
      pointsExpiringNoticeDays: env.POINTS_EXPIRING_NOTICE_DAYS,
      workerIntervalSeconds: env.WEBHOOK_WORKER_INTERVAL_SECONDS,
    },
  };
}
