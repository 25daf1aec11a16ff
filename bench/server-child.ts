import { Config, loadConfig } from '../src/config/config';
import { createLogger, Logger } from '../src/observability/logger';
import { Database, migrateToLatest, openDatabase } from '../src/db/database';

/**
 * What every bench server child starts with: production settings (no sandbox, warn-level logs), the
 * database the parent chose (DATABASE_URL, or embedded PGlite under DATA_DIR), migrated.
 */
export async function openBenchServerDatabase(): Promise<{ config: Config; logger: Logger; database: Database }> {
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: process.env.JWT_SECRET,
    LOG_LEVEL: 'warn',
    DATABASE_URL: process.env.DATABASE_URL,
    DATA_DIR: process.env.DATA_DIR,
    // The server's own setting, so a bench can measure another pool size (the bench prints the size it ran with).
    DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE,
    JOB_INTERVAL_SECONDS: '0',
    STRIPE_WEBHOOK_SECRET: process.env.STRIPE_WEBHOOK_SECRET,
    MAX_ORDER_AMOUNT: process.env.MAX_ORDER_AMOUNT,
  });
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config);
  await migrateToLatest(database.orm);
  return { config, logger, database };
}
