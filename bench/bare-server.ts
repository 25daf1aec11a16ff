/**
 * The status bench's same-SQL baseline: the least a server can do around the very statement Perkgraph runs for the
 * member-status query. It sends src/modules/status/member-status.sql.ts's statement for the parts the query needs
 * (tier, balances, perks) by external id, as a named prepared statement, and builds the same answer with the same
 * policy functions (currentRung for the tier, highestSupportPriority for the support priority). Plain node:http and
 * a pg Pool (bench/bare-http.ts). What Perkgraph costs beyond this is the price of its stack, not of its SQL.
 */
import { EXPIRING_SOON_DAYS } from '../src/modules/ledger/balance.service';
import { memberStatusParameters, memberStatusStatement, StatusPart } from '../src/modules/status/member-status.sql';
import { currentRung, highestSupportPriority, SupportPriorityLevel } from '../src/modules/tiers/tier-policy';
import { BareServer, BareServerOptions, jsonBody, NO_MEMBER_BODY, queryNamed, startBareHttpServer } from './bare-http';

const DAY_MS = 24 * 60 * 60 * 1000;
/** What `{ me { id tier { code } balance { ... } supportPriority } }` selects (src/modules/status/status-selection.ts). */
const PARTS: ReadonlySet<StatusPart> = new Set<StatusPart>(['tier', 'balances', 'perks']);
const STATEMENT = memberStatusStatement(PARTS, 'external_id');
/** Its own name: on the embedded database every connection shares one backend, where Perkgraph prepares the same text. */
const STATEMENT_NAME = `bare_${STATEMENT.name}`.slice(0, 50);

interface StatusRow {
  id: string;
  standing: { tierCode: string; retainUntil: string | null } | null;
  ladder: { code: string; rank: number; thresholdMinor: string }[] | null;
  balances: { currency: string; posted: string; held: string }[] | null;
  perks: { supportPriority: SupportPriorityLevel | null }[] | null;
}

export type { BareServer };

export function startBareServer(options: BareServerOptions): Promise<BareServer> {
  return startBareHttpServer(options, async (pool, externalId) => {
    const now = new Date();
    const values = memberStatusParameters(PARTS, { keys: [externalId], now, expiringBy: new Date(now.getTime() + EXPIRING_SOON_DAYS * DAY_MS), spendFrom: now });
    const [row] = await queryNamed<StatusRow>(pool, STATEMENT_NAME, STATEMENT.numbered, values);
    if (!row) return NO_MEMBER_BODY;
    const ladder = (row.ladder ?? []).map((tier) => ({ code: tier.code, rank: tier.rank, thresholdMinor: BigInt(tier.thresholdMinor) }));
    const standing = row.standing ? { tierCode: row.standing.tierCode, retainUntil: row.standing.retainUntil ? new Date(row.standing.retainUntil) : null } : null;
    const pts = (row.balances ?? []).find((balance) => balance.currency === 'PTS');
    const posted = Number(pts?.posted ?? 0);
    const held = Number(pts?.held ?? 0);
    return jsonBody({
      data: {
        me: {
          id: row.id,
          tier: { code: currentRung(ladder, standing).code },
          balance: { posted, held, available: posted - held },
          supportPriority: highestSupportPriority((row.perks ?? []).map((perk) => perk.supportPriority)),
        },
      },
    });
  });
}
