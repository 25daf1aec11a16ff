import type { EnrollmentInput } from '../../src/modules/members/member.validation';

let sequence = 0;

/** Valid enrolment input; each call gives a new externalId and email unless overridden. */
export function memberInput(overrides: Partial<EnrollmentInput> = {}): EnrollmentInput {
  sequence += 1;
  const id = `${process.pid}-${sequence}`;
  return {
    externalId: `user-${id}`,
    email: `member-${id}@example.com`,
    country: 'DE',
    locale: 'de-DE',
    ...overrides,
  };
}
