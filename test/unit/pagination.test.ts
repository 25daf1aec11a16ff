import { describe, it, expect } from '@jest/globals';
import { BadUserInputError } from '../../src/errors';
import { decodeCursor, encodeCursor, MAX_PAGE_SIZE, pageRequest, toConnection } from '../../src/graphql/pagination';

function rejectedField(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).extensions.code).toBe('BAD_USER_INPUT');
    return (error as BadUserInputError).field;
  }
  throw new Error('expected a BadUserInputError');
}

describe('cursors', () => {
  it('encode as unpadded base64url of the UTF-8 key', () => {
    expect(encodeCursor('a')).toBe('YQ');
    expect(encodeCursor('2024-01-01T00:00:00.000Z|42')).toBe(Buffer.from('2024-01-01T00:00:00.000Z|42').toString('base64url'));
  });

  it.each(['a', 'member:42', '2024-01-01T00:00:00.000Z|0190-uuid', 'ünïcødé ✓', '??>>', 'x'.repeat(500)])(
    'round-trip %p',
    (key) => {
      const cursor = encodeCursor(key);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor)).toBe(key);
    },
  );

  it.each([
    ['punctuation', '!!!'],
    ['the empty string', ''],
    ['padded base64', 'YQ=='],
    ['non-canonical trailing bits', 'YR'],
    ['standard base64 alphabet', Buffer.from('??>>').toString('base64')],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe]).toString('base64url')],
  ])('reject %s', (_label, cursor) => {
    expect(rejectedField(() => decodeCursor(cursor))).toBe('after');
  });
});

describe('pageRequest', () => {
  it('accepts 1 to 100 and decodes the cursor', () => {
    expect(MAX_PAGE_SIZE).toBe(100);
    expect(pageRequest(1, undefined)).toEqual({ first: 1, after: undefined });
    expect(pageRequest(100, null)).toEqual({ first: 100, after: undefined });
    expect(pageRequest(20, encodeCursor('k7'))).toEqual({ first: 20, after: 'k7' });
  });

  it('treats an empty after as no cursor', () => {
    expect(pageRequest(5, '')).toEqual({ first: 5, after: undefined });
  });

  it.each([0, -1, 101, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects first=%p', (first) => {
    expect(rejectedField(() => pageRequest(first, undefined))).toBe('first');
  });

  it('rejects a bad after cursor', () => {
    expect(rejectedField(() => pageRequest(10, '!!!'))).toBe('after');
  });
});

describe('toConnection', () => {
  const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
  const keyOf = (row: { id: string }) => `key-${row.id}`;

  it('returns the first rows and says another page follows when given first + 1 rows', () => {
    const connection = toConnection(rows, { first: 2 }, keyOf);
    expect(connection.edges).toEqual([
      { cursor: encodeCursor('key-a'), node: rows[0] },
      { cursor: encodeCursor('key-b'), node: rows[1] },
    ]);
    expect(connection.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor('key-b') });
  });

  it('says no page follows when there are exactly first rows', () => {
    const connection = toConnection(rows.slice(0, 2), { first: 2 }, keyOf);
    expect(connection.edges.map((edge) => edge.node)).toEqual(rows.slice(0, 2));
    expect(connection.pageInfo).toEqual({ hasNextPage: false, endCursor: encodeCursor('key-b') });
  });

  it('says no page follows when there are fewer rows', () => {
    const connection = toConnection(rows, { first: 10 }, keyOf);
    expect(connection.edges).toHaveLength(3);
    expect(connection.pageInfo).toEqual({ hasNextPage: false, endCursor: encodeCursor('key-c') });
  });

  it('has a null end cursor for no rows', () => {
    expect(toConnection([], { first: 2 }, keyOf)).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('gives end cursors that decode back to the key of the last row', () => {
    const connection = toConnection(rows, { first: 1 }, keyOf);
    expect(decodeCursor(connection.pageInfo.endCursor!)).toBe('key-a');
  });
});
