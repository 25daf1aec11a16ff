/** npm run import -- members.csv orders.csv: bootstraps a programme from history (README, "Importing history"). */
import 'reflect-metadata';
import { basename } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../config/config';
import { migrateToLatest, openDatabase } from '../db/database';
import { FileReport, HistoryFile, HistoryImportService, ImportProgress, MAX_LISTED_REJECTIONS } from '../modules/import/history-import.service';
import { MEMBER_COLUMNS, ORDER_COLUMNS } from '../modules/import/history-rows';
import { runCli } from './run-cli';
import { upgradeQualifiedMembers } from '../jobs/tier-jobs';

const HELP = `Usage: npm run import -- <members.csv> <orders.csv> [--history-only] [--batch-size N]

Bootstraps a programme from history into DATABASE_URL (or the embedded database): members, then orders.
Idempotent on external ids: a re-run inserts nothing new and reports the rows as already present.

  members.csv columns: ${MEMBER_COLUMNS.join(',')}
  orders.csv columns:  ${ORDER_COLUMNS.join(',')}

Orders earn points as recordOrder would have recorded them one by one, now, in placed_at order per member
(then refundOrder for refunded_amount): earning rules, tier upgrades, pending for the return window, lots
expiring after the points currency's months. --history-only imports the orders without points (history for
tiers and LTV; members move up to the tier their history reaches).
Amounts are converted to the base currency at the exchange rate in force at placed_at (set the rates
first). Rejected rows are listed with their line numbers; the command exits 1 if any row was rejected.`;

function parseArguments(argv: string[]): { members: string; orders: string; batchSize?: number; historyOnly: boolean } {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    process.exit(0);
  }
  const files: string[] = [];
  let batchSize: number | undefined;
  let historyOnly = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--history-only') {
      historyOnly = true;
    } else if (argv[i] === '--batch-size') {
      batchSize = Number(argv[++i]);
      if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 5_000) throw new Error('--batch-size must be a whole number from 1 to 5000');
    } else if (argv[i].startsWith('-')) {
      throw new Error(`unknown option ${argv[i]}\n\n${HELP}`);
    } else {
      files.push(argv[i]);
    }
  }
  if (files.length !== 2) throw new Error(`expected two files, members.csv and orders.csv\n\n${HELP}`);
  return { members: files[0], orders: files[1], batchSize, historyOnly };
}

const summary = (name: string, report: FileReport): string =>
  `${name}: ${report.rows} rows: ${report.inserted} inserted, ${report.alreadyPresent} already present, ${report.rejected} rejected`;

runCli(async () => {
  const args = parseArguments(process.argv.slice(2));
  const config = loadConfig();
  const database = await openDatabase({ ...config, shareRunningEmbedded: true });
  // The bar goes to stderr and only on a terminal (cli-progress writes nothing otherwise).
  const bar = new SingleBar({ format: '{file} |{bar}| {percentage}% | {rows} {unit} | {rate}/s', hideCursor: true, etaBuffer: 50 }, Presets.shades_classic);
  let current: string | undefined;
  let startedAt = 0;
  const onProgress = (progress: ImportProgress) => {
    const step = progress.phase === 'read' ? `${progress.file}` : `${progress.file} (earning)`;
    const unit = progress.phase === 'read' ? 'rows read' : 'orders applied';
    if (step !== current) {
      if (current) bar.stop();
      current = step;
      startedAt = Date.now();
      bar.start(Math.max(progress.totalBytes, 1), 0, { file: step, rows: 0, unit, rate: 0 });
    }
    const seconds = (Date.now() - startedAt) / 1000;
    bar.update(progress.bytesRead, { rows: progress.rows, unit, rate: seconds > 0 ? Math.round(progress.rows / seconds) : 0 });
  };
  try {
    await migrateToLatest(database.orm);
    const service = new HistoryImportService(database.orm.em.fork(), config, {
      batchSize: args.batchSize,
      onProgress,
      earn: !args.historyOnly,
    });
    const report = await service.importFiles(args.members, args.orders).finally(() => bar.stop());
    const names: Record<HistoryFile, string> = { members: basename(args.members), orders: basename(args.orders) };
    console.log(summary(names.members, report.members));
    console.log(summary(names.orders, report.orders));
    if (args.historyOnly) {
      // History without points still counts towards tiers: move members up to what it reaches now.
      const upgraded = await upgradeQualifiedMembers(database.orm, config);
      console.log(`tiers: ${upgraded} ${upgraded === 1 ? 'member' : 'members'} moved up to the tier their history reaches`);
    } else {
      const changes = report.tierChanges;
      console.log(`tiers: ${changes} ${changes === 1 ? 'upgrade' : 'upgrades'} as the orders were recorded`);
    }
    const rejected = report.members.rejected + report.orders.rejected;
    if (rejected > 0) {
      console.log('Rejected rows:');
      for (const rejection of report.rejections) console.log(`  ${names[rejection.file]} line ${rejection.line}: ${rejection.reason}`);
      if (rejected > report.rejections.length) console.log(`  ... and ${rejected - report.rejections.length} more (only the first ${MAX_LISTED_REJECTIONS} are listed)`);
      throw new Error(`${rejected} row(s) rejected; fix them and run the import again (rows already imported are skipped)`);
    }
  } finally {
    await database.close();
  }
});
