import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { canonicalJson, requestHash } from '../../src/idempotency';

/** What requestHash hashed before its fast path: JSON.stringify with bigints and dates as strings. */
const reference = (values: unknown[]) =>
  JSON.stringify(values, (_key, value) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Date) return value.toISOString();
    return value;
  });

describe('requestHash', () => {
  it('hashes the JSON of the values, bigints and dates as strings', () => {
    const values = ['0190a1b2-0000-7000-8000-000000000001', 'o-1', 9000n, 'EUR', new Date('2024-03-01T12:00:00Z')];
    expect(canonicalJson(values)).toBe('["0190a1b2-0000-7000-8000-000000000001","o-1","9000","EUR","2024-03-01T12:00:00.000Z"]');
    expect(requestHash(values)).toBe(createHash('sha256').update(canonicalJson(values)).digest('hex'));
    expect(canonicalJson(['a', null, undefined, 3, { b: 1n }, [2n]])).toBe('["a",null,null,3,{"b":"1"},["2"]]');
  });

  it('writes the same JSON as JSON.stringify for any flat or nested input', () => {
    const scalar = fc.oneof(fc.string({ unit: 'binary' }), fc.bigInt(), fc.integer(), fc.double(), fc.constant(null), fc.boolean(), fc.date({ noInvalidDate: false }));
    const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.string(), scalar, { maxKeys: 3 }));
    fc.assert(fc.property(fc.array(value, { maxLength: 8 }), (values) => canonicalJson(values) === reference(values)), { numRuns: 2000 });
  });
});
