/**
 * npm run bench [-- NAME... [--flags of the bench]]
 * Runs the named benches (all of them without names) one after the other and prints their figures.
 * Exits 1 when a run was invalid (errors, non-2xx, wrong answers); a missed target is only reported.
 * A new bench is a `Bench` in its own file, added to BENCHES.
 */
import 'reflect-metadata';
import { Bench, benchSettings } from './harness';
import { statusBench } from './status.bench';
import { redeemBench } from './redeem.bench';
import { earnBench } from './earn.bench';
import { webhooksBench } from './webhooks.bench';
import { ltvBench } from './ltv.bench';
import { growthBench } from './growth.bench';
import { importBench } from './import.bench';

const BENCHES: Bench[] = [statusBench, redeemBench, earnBench, webhooksBench, ltvBench, growthBench, importBench];

async function main(): Promise<number> {
  // Names are the arguments before the first --flag; a bench reads its own flags (e.g. ltv --members 1000000).
  const args = process.argv.slice(2);
  const firstFlag = args.findIndex((arg) => arg.startsWith('--'));
  const names = firstFlag < 0 ? args : args.slice(0, firstFlag);
  const unknown = names.filter((name) => !BENCHES.some((bench) => bench.name === name));
  if (unknown.length > 0) {
    console.error(`unknown bench: ${unknown.join(', ')}. Benches:\n${BENCHES.map((bench) => `  ${bench.name}  ${bench.description}`).join('\n')}`);
    return 2;
  }
  const selected = names.length > 0 ? BENCHES.filter((bench) => names.includes(bench.name)) : BENCHES;
  const settings = benchSettings();
  let valid = true;
  for (const bench of selected) {
    console.log(`\n== ${bench.name}: ${bench.description}`);
    if (!(await bench.run(settings))) valid = false;
  }
  return valid ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error('bench failed:', error);
    process.exit(1);
  },
);
