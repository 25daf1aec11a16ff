import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CsvError, CsvRecord, csvRecords, parseRecords } from '../../src/modules/import/csv-records';

/** What csv-parse reads, with the options the import used with it. */
const reference = (text: string) =>
  (parse(text, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as { record: string[]; info: { lines: number } }[]).map(
    ({ record, info }) => ({ record, line: info.lines }),
  );

/** The reader over `text` fed in pieces of `size` characters (records cut anywhere, as file chunks cut them). */
function inPieces(text: string, size: number): CsvRecord[] {
  const records: CsvRecord[] = [];
  let carry = '';
  let line = 1;
  for (let start = 0; start < text.length; start += size) {
    const piece = carry + text.slice(start, start + size);
    const parsed = parseRecords(piece, line, false);
    records.push(...parsed.records);
    carry = piece.slice(parsed.consumed);
    line = parsed.line;
  }
  records.push(...parseRecords(carry, line, true).records);
  return records;
}

describe('csv records', () => {
  it('reads records with the line each ends on, as csv-parse does', () => {
    const text = 'a,b\n1,2\n\n"x\ny",2\n"q""x",,\n ,\n3,4';
    expect(inPieces(text, 1000)).toEqual([
      { record: ['a', 'b'], line: 1 },
      { record: ['1', '2'], line: 2 },
      { record: ['x\ny', '2'], line: 5 },
      { record: ['q"x', '', ''], line: 6 },
      { record: [' ', ''], line: 7 },
      { record: ['3', '4'], line: 8 },
    ]);
    expect(inPieces(text, 1000)).toEqual(reference(text));
    // \r\n and \r end lines too.
    expect(inPieces('a,b\r\n1,2\r\n\r\n3,4\r\n', 3)).toEqual([{ record: ['a', 'b'], line: 1 }, { record: ['1', '2'], line: 2 }, { record: ['3', '4'], line: 4 }]);
    expect(inPieces('a,b\r1,2\r3,4\r', 2)).toEqual(reference('a,b\r1,2\r3,4\r'));
  });

  it('reads any CSV as csv-parse does, however the text is cut', () => {
    const field = fc.oneof(
      fc.stringMatching(/^[a-z0-9 .:@-]{0,6}$/),
      fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', ' ', 'é', '\u{1F600}'), maxLength: 6 }).map((value) => `"${value.replace(/"/g, '""')}"`),
    );
    const line = fc.array(field, { minLength: 1, maxLength: 4 }).map((fields) => fields.join(','));
    const file = fc.tuple(fc.array(line, { maxLength: 8 }), fc.boolean(), fc.integer({ min: 1, max: 12 }));
    fc.assert(
      fc.property(file, ([lines, trailing, size]) => {
        const text = lines.join('\n') + (trailing ? '\n' : '');
        expect(inPieces(text, size)).toEqual(reference(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses malformed CSV with the line', () => {
    expect(() => inPieces('a,b\n1,"open\n2,3\n', 4)).toThrow(new CsvError('Quote Not Closed: the parsing is finished with an opening quote at line 4'));
    expect(() => inPieces('a,b\n"x"y,2\n', 100)).toThrow(/^Invalid Closing Quote: got "y" at line 2/);
    expect(() => inPieces('a,b\nx"y,2\n', 100)).toThrow(/^Invalid Opening Quote: a quote is found on field 0 at line 2/);
  });

  it('reads a file in batches, skipping a byte order mark', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'perkgraph-csv-')), 'orders.csv');
    const rows = Array.from({ length: 50_000 }, (_, index) => `o-${index},"m,${index}",12.50`);
    writeFileSync(path, '\uFEFFexternal_id,member,amount\n' + rows.join('\n') + '\n');
    const read = { bytesRead: 0 };
    const records: CsvRecord[] = [];
    for await (const batch of csvRecords(path, read)) records.push(...batch);
    expect(records).toHaveLength(50_001);
    expect(records[0]).toEqual({ record: ['external_id', 'member', 'amount'], line: 1 });
    expect(records[50_000]).toEqual({ record: ['o-49999', 'm,49999', '12.50'], line: 50_001 });
    expect(read.bytesRead).toBeGreaterThan(1_000_000);
  });
});
