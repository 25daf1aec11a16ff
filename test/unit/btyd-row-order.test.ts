import { describe, expect, it } from '@jest/globals';
import { orderByFrequencyThen, pickRows } from '../../src/modules/ltv/btyd/types';
import { floatPrng } from '../helpers/random';

/** The order by frequency, then by the other columns, then by position, worked out the plain way. */
function plainOrder(frequency: Float64Array, ...then: Float64Array[]): number[] {
  return [...frequency.keys()].sort((left, right) => {
    if (frequency[left] !== frequency[right]) return frequency[left] - frequency[right];
    for (const column of then) if (column[left] !== column[right]) return column[left] - column[right];
    return left - right;
  });
}

describe('orderByFrequencyThen', () => {
  const { uniform } = floatPrng(20261205);
  const rows = 2_000;
  const frequency = Float64Array.from({ length: rows }, () => Math.floor(uniform() * 12));
  const value = Float64Array.from({ length: rows }, () => Math.floor(uniform() * 50) / 4);

  it('orders rows by frequency, then by the other columns, then by position', () => {
    expect([...orderByFrequencyThen(frequency, value)]).toEqual(plainOrder(frequency, value));
  });

  it('keeps rows a statement already sorted where they are, ties included', () => {
    const order = plainOrder(frequency, value);
    const sortedFrequency = Float64Array.from(order, (index) => frequency[index]);
    const sortedValue = Float64Array.from(order, (index) => value[index]);
    expect([...orderByFrequencyThen(sortedFrequency, sortedValue)]).toEqual([...sortedFrequency.keys()]);
    // Sorted by frequency only: the other column still decides within each frequency.
    const byFrequencyOnly = [...frequency.keys()].sort((left, right) => frequency[left] - frequency[right] || left - right);
    const frequencyOnly = Float64Array.from(byFrequencyOnly, (index) => frequency[index]);
    const valueUnsorted = Float64Array.from(byFrequencyOnly, (index) => value[index]);
    expect([...orderByFrequencyThen(frequencyOnly, valueUnsorted)]).toEqual(plainOrder(frequencyOnly, valueUnsorted));
    expect([...orderByFrequencyThen(frequencyOnly, valueUnsorted)]).not.toEqual([...frequencyOnly.keys()]);
  });
});

describe('pickRows', () => {
  it('picks the given rows in the given order, scaled when a scale is given', () => {
    const column = Float64Array.of(1.5, 2, 3, -0.25);
    const rows = Uint32Array.of(2, 0, 3, 0);
    expect([...pickRows(column, rows)]).toEqual([3, 1.5, -0.25, 1.5]);
    expect([...pickRows(column, rows, 0.1)]).toEqual([3 * 0.1, 1.5 * 0.1, -0.25 * 0.1, 1.5 * 0.1]);
    expect(pickRows(column, new Uint32Array(0)).length).toBe(0);
  });
});
