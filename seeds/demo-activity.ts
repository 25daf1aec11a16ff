import type { EntityManager } from '@mikro-orm/postgresql';
import type { EnrollmentInput } from '../src/modules/members/member.validation';
import { DAY_MS } from '../src/time';
import { mix } from './demo-orders';

/** Days of app activity the demo keeps per member, ending yesterday (UTC): enough for DAU over a month and MAU. */
export const DEMO_ACTIVITY_DAYS = 90;

/**
 * The UTC days on which each demo member opened the app in the last DEMO_ACTIVITY_DAYS days (never before it
 * joined): each member has its own habit, from about one day in twelve to most days, derived from its position
 * (no Math.random), so that DAU/MAU looks like a real programme's (roughly 0.2 to 0.35).
 */
export function demoActivityPlan(members: EnrollmentInput[], now: Date): { memberExternalId: string; day: string }[] {
  const today = Math.floor(now.getTime() / DAY_MS);
  const plan: { memberExternalId: string; day: string }[] = [];
  members.forEach((member, position) => {
    // Per mille chance of a visit on a given day: 80 to 680.
    const habit = 80 + (mix(position, 1) % 601);
    const joinedDay = member.joinedAt ? Math.floor(member.joinedAt.getTime() / DAY_MS) : today;
    for (let back = DEMO_ACTIVITY_DAYS; back >= 1; back -= 1) {
      const day = today - back;
      if (day < joinedDay) continue;
      if (mix(position, day) % 1000 < habit) plan.push({ memberExternalId: member.externalId, day: new Date(day * DAY_MS).toISOString().slice(0, 10) });
    }
  });
  return plan;
}

/**
 * Writes the demo activity days in one statement, once: when demo members already have activity (an earlier
 * run, or real requests) nothing is added, so a run on a later day adds nothing, like the rest of the demo.
 */
export async function seedDemoActivity(em: EntityManager, members: EnrollmentInput[], now: Date): Promise<void> {
  const [{ seeded }] = await em.execute<{ seeded: boolean }[]>(
    "select exists (select 1 from member_activity_days a join members m on m.id = a.member_id where m.external_id like 'demo-%') as seeded",
  );
  const plan = demoActivityPlan(members, now);
  if (seeded || plan.length === 0) return;
  await em.execute(
    `insert into member_activity_days (member_id, day)
     select m.id, p.day::date from jsonb_to_recordset(?::jsonb) as p(external_id text, day text)
     join members m on m.external_id = p.external_id
     on conflict do nothing`,
    [JSON.stringify(plan.map((entry) => ({ external_id: entry.memberExternalId, day: entry.day })))],
  );
}
