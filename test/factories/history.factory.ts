import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../src/config/config';
import type { RequestContext } from '../../src/graphql/context';
import type { Services } from '../../src/app/container';
import { HistoryImportService } from '../../src/modules/import/history-import.service';

/*
 * Random order history for the tests that compare rollups kept by triggers with recounts (growth, LTV summaries):
 * refunds through the service and a bulk history import, drawn from a seeded generator (`next`, uniform in [0, 1)).
 */

/** `draws` refunds of random orders among `externalIds`, through the service: about 30% in full, the rest in part. */
export async function refundRandomOrders(
  services: Services,
  as: () => RequestContext,
  em: () => EntityManager,
  next: () => number,
  externalIds: string[],
  draws: number,
): Promise<void> {
  for (let i = 0; i < draws; i++) {
    const externalId = externalIds[Math.floor(next() * externalIds.length)];
    const [row] = await em().execute<{ amount_minor: string; refunded_minor: string; currency: string }[]>(
      'select amount_minor, refunded_minor, currency from orders where external_id = ?',
      [externalId],
    );
    const left = Number(row.amount_minor) - Number(row.refunded_minor);
    if (left <= 0) continue;
    const minor = next() < 0.3 ? left : Math.max(1, Math.floor(left * next() * 0.6));
    await services.orders.refund(as(), { orderExternalId: externalId, refundId: `${externalId}-refund-${i}`, amount: { amount: (minor / 100).toFixed(2), currency: row.currency } });
  }
}

export interface RandomImport {
  /** External ids: `<prefix>-<i>` for members, `<prefix>-<i>-<k>` for their orders. */
  prefix: string;
  members: number;
  countries: readonly string[];
  channels: readonly string[];
  /** Orders per member: at least `minOrders`, drawn again before each further one against `orderSpread`. */
  minOrders: number;
  orderSpread: number;
  /** A random instant: join and order times. */
  instant: () => Date;
  /** The import's clock. */
  now: Date;
}

/** Members and their orders (some refunded in part) imported in bulk by the history import: many orders per statement. */
export async function importRandomHistory(em: EntityManager, config: Config, next: () => number, options: RandomImport): Promise<void> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const { prefix } = options;
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const memberLines = ['external_id,email,country,locale,birthday,acquisition_channel,acquisition_cost,acquisition_cost_currency,joined_at'];
  const orderLines = ['external_id,member_external_id,amount,currency,placed_at,refunded_amount'];
  for (let i = 0; i < options.members; i++) {
    memberLines.push(`${prefix}-${i},${prefix}-${i}@example.com,${pick(options.countries)},en,,${pick(options.channels)},,,${options.instant().toISOString()}`);
    for (let k = 0; k < options.minOrders + Math.floor(next() * options.orderSpread); k++) {
      const amount = 1 + Math.floor(next() * 300);
      const refunded = next() < 0.2 ? `${Math.floor(next() * amount)}.00` : '';
      orderLines.push(`${prefix}-${i}-${k},${prefix}-${i},${amount}.00,${pick(['USD', 'EUR'])},${options.instant().toISOString()},${refunded}`);
    }
  }
  writeFileSync(join(dir, 'members.csv'), memberLines.join('\n') + '\n');
  writeFileSync(join(dir, 'orders.csv'), orderLines.join('\n') + '\n');
  const report = await new HistoryImportService(em, config, { batchSize: 50, now: options.now }).importFiles(join(dir, 'members.csv'), join(dir, 'orders.csv'));
  if (report.rejections.length > 0) throw new Error(`the random history import rejected rows: ${JSON.stringify(report.rejections)}`);
}
