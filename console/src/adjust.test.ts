import { describe, expect, it } from 'vitest';
import { limitsFor, newIdempotencyKey, validateAdjust } from './adjust';

describe('the adjust-points form', () => {
  const support = limitsFor('support');
  const admin = limitsFor('admin');

  it('accepts a whole, non-zero number within the role limit and a reason', () => {
    expect(validateAdjust({ points: '250', reason: 'goodwill' }, support)).toEqual({});
    expect(validateAdjust({ points: '-5000', reason: 'correction' }, support)).toEqual({});
    expect(validateAdjust({ points: '+40', reason: 'x' }, support)).toEqual({});
  });

  it('names each field that is wrong', () => {
    expect(validateAdjust({ points: '', reason: '' }, support)).toEqual({ points: 'required', reason: 'required' });
    expect(validateAdjust({ points: '2.5', reason: 'x' }, support)).toEqual({ points: 'notWhole' });
    expect(validateAdjust({ points: '0', reason: 'x' }, support)).toEqual({ points: 'zero' });
    expect(validateAdjust({ points: '5001', reason: '  ' }, support)).toEqual({ points: 'overLimit', reason: 'required' });
  });

  it('has no per-adjustment limit for admins', () => {
    expect(admin.perAdjustment).toBeNull();
    expect(validateAdjust({ points: '1000000', reason: 'migration' }, admin)).toEqual({});
  });

  it('makes a fresh idempotency key each time', () => {
    const keys = new Set(Array.from({ length: 50 }, newIdempotencyKey));
    expect(keys.size).toBe(50);
    expect([...keys][0]).toMatch(/^console-[0-9a-f-]{36}$/);
  });
});
