import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/config';
import { createLogger, wantsPrettyLogs } from './observability/logger';
import { migrateToLatest, openDatabase } from './db/database';
import { EmbeddedDatabaseBusyError } from './db/embedded-lock';
import { isEmptyProgramme, seedDemoData } from './db/seed';
import { createApp } from './app';
import { scheduleLedgerJobs } from './jobs/ledger-jobs';
import { scheduleTierJobs } from './jobs/tier-jobs';
import { runReferralJobs } from './jobs/referral-jobs';
import { scheduleEvery } from './jobs/schedule';
import { scheduleLtvJob } from './jobs/ltv-job';
import { schedulePrivacyJobs } from './jobs/privacy-jobs';
import { scheduleWebhookJobs } from './jobs/webhook-jobs';

/** How long in-flight requests get to finish after SIGTERM before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { pretty: wantsPrettyLogs(config.nodeEnv, process.stdout.isTTY) });
  if (config.usesDevelopmentSecret) {
    logger.warn('JWT_SECRET is not set: using the fixed development secret. Never do this in production (it refuses to start).');
  }

  const database = await openDatabase(config);
  const applied = await migrateToLatest(database.orm);
  if (applied.length) logger.info({ migrations: applied }, 'applied migrations');
  if (database.embedded && (await isEmptyProgramme(database.orm))) {
    await seedDemoData(database.orm);
    logger.info('new embedded database: loaded the demo programme');
  }

  const app = await createApp({ config, orm: database.orm, logger });
  const stopJobs = scheduleLedgerJobs(database.orm, config.jobIntervalSeconds, (error) => logger.error({ err: error }, 'ledger jobs failed'));
  const stopTierJobs = scheduleTierJobs(database.orm, config, (error) => logger.error({ err: error }, 'tier jobs failed'));
  const stopReferralJobs = scheduleEvery(
    config.jobIntervalSeconds,
    () => runReferralJobs(database.orm, config),
    (error) => logger.error({ err: error }, 'referral jobs failed'),
    'referrals',
  );
  const stopLtvJob = scheduleLtvJob(database.orm, config, (error) => logger.error({ err: error }, 'nightly LTV run failed'));
  const stopPrivacyJobs = schedulePrivacyJobs(database.orm, config, (error) => logger.error({ err: error }, 'privacy jobs failed'));
  const stopWebhookJobs = scheduleWebhookJobs(database.orm, config, (error) => logger.error({ err: error }, 'webhook jobs failed'));
  const port = await app.listen(config.port);
  logger.info(
    { port, database: database.embedded ? `embedded PGlite in ${config.dataDir}/pglite` : 'PostgreSQL', graphql: `http://localhost:${port}/graphql` },
    `Perkgraph listening on http://localhost:${port}/graphql`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    const forceExit = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS + 5_000);
    forceExit.unref();
    await app.stop();
    logger.info('HTTP server stopped');
    await Promise.all([stopJobs(), stopTierJobs(), stopReferralJobs(), stopLtvJob(), stopPrivacyJobs(), stopWebhookJobs()]);
    await database.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  if (error instanceof ConfigError || error instanceof EmbeddedDatabaseBusyError) {
    console.error(error.message);
  } else {
    console.error('Perkgraph failed to start:', error);
  }
  process.exit(1);
});
