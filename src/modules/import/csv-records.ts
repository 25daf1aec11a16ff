import { createReadStream } from 'node:fs';

/*
 * A CSV reader for the history files (RFC 4180: comma-separated, double quotes around fields that hold commas,
 * quotes or line breaks, "" for a quote inside them), giving each record with its line number: the line it ends
 * on, counting from 1 (a line break is \n, \r\n or \r, inside quoted fields too). A byte order mark is skipped,
 * empty lines are skipped, records may have any number of fields. It reads what csv-parse reads with
 * { bom, relax_column_count, skip_empty_lines } (test/unit/csv-records.test.ts compares them), at a fraction
 * of the cost: the orders file has a million lines, and its line numbers are needed for every rejection.
 */

export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvError';
  }
}

export interface CsvRecord {
  record: string[];
  /** The line the record ends on (1-based). */
  line: number;
}

/** Matches what ends an unquoted field, or a quote that cannot be in one. */
const FIELD_END = /[,\n\r"]/g;

/**
 * Parses complete records from `text` starting at 0 (the first line being `line`); returns the records, the position
 * where an incomplete last record starts (text.length when none) and the line there. At the end of the input
 * (`final`), a last record without a line break is complete, and an unclosed quote is an error.
 */
export function parseRecords(text: string, line: number, final: boolean): { records: CsvRecord[]; consumed: number; line: number } {
  const records: CsvRecord[] = [];
  const length = text.length;
  let position = 0;
  let consumed = 0;
  let consumedLine = line;
  records: while (position < length) {
    const fields: string[] = [];
    let current = line;
    // An empty line: skipped.
    const first = text.charCodeAt(position);
    if (first === 10 || first === 13) {
      if (first === 13 && position + 1 >= length && !final) break;
      position += first === 13 && text.charCodeAt(position + 1) === 10 ? 2 : 1;
      line += 1;
      consumed = position;
      consumedLine = line;
      continue;
    }
    for (;;) {
      let value: string;
      let end: number;
      if (text.charCodeAt(position) === 34) {
        // A quoted field: up to the quote not followed by another.
        value = '';
        let from = position + 1;
        for (;;) {
          const quote = text.indexOf('"', from);
          if (quote < 0 || (quote + 1 >= length && !final)) {
            if (final && quote < 0) throw new CsvError(`Quote Not Closed: the parsing is finished with an opening quote at line ${current + countBreaks(text, from, length)}`);
            break records;
          }
          value += text.slice(from, quote);
          if (text.charCodeAt(quote + 1) === 34) {
            value += '"';
            from = quote + 2;
            continue;
          }
          current += countBreaks(text, position, quote);
          end = quote + 1;
          break;
        }
        const next = end < length ? text.charCodeAt(end) : -1;
        if (next !== -1 && next !== 44 && next !== 10 && next !== 13) {
          throw new CsvError(`Invalid Closing Quote: got "${text[end]}" at line ${current} instead of delimiter, record delimiter, trimable character (if activated) or comment`);
        }
      } else {
        FIELD_END.lastIndex = position;
        const match = FIELD_END.exec(text);
        if (!match) {
          if (!final) break records;
          end = length;
        } else {
          end = match.index;
          if (text.charCodeAt(end) === 34) {
            throw new CsvError(`Invalid Opening Quote: a quote is found on field ${fields.length} at line ${current}, value is ${JSON.stringify(text.slice(position, end))}`);
          }
        }
        value = text.slice(position, end);
      }
      fields.push(value);
      if (end >= length) {
        if (!final) break records;
        records.push({ record: fields, line: current });
        position = length;
        line = current;
        consumed = position;
        consumedLine = line;
        break records;
      }
      const delimiter = text.charCodeAt(end);
      if (delimiter === 44) {
        position = end + 1;
        if (position >= length) {
          if (!final) break records;
          fields.push('');
          records.push({ record: fields, line: current });
          consumed = position;
          consumedLine = current;
          break records;
        }
        continue;
      }
      // A line break ends the record (\r\n is one; a \r at the end of the text may be the start of one).
      if (delimiter === 13 && end + 1 >= length && !final) break records;
      position = end + (delimiter === 13 && text.charCodeAt(end + 1) === 10 ? 2 : 1);
      records.push({ record: fields, line: current });
      line = current + 1;
      consumed = position;
      consumedLine = line;
      break;
    }
  }
  return { records, consumed, line: consumedLine };
}

/** Line breaks (\n, \r\n, \r) in text[from, to). */
function countBreaks(text: string, from: number, to: number): number {
  let breaks = 0;
  for (let index = from; index < to; index++) {
    const code = text.charCodeAt(index);
    if (code === 10) breaks += 1;
    else if (code === 13) {
      breaks += 1;
      if (text.charCodeAt(index + 1) === 10) index += 1;
    }
  }
  return breaks;
}

/** The records of a file as they are read, in batches (one per chunk read); `bytesRead` is how far the file has been read. */
export async function* csvRecords(path: string, progress?: { bytesRead: number }): AsyncGenerator<CsvRecord[]> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  let line = 1;
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (progress) progress.bytesRead = stream.bytesRead;
      let text = carry + decoder.decode(chunk, { stream: true });
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      const parsed = parseRecords(text, line, false);
      carry = text.slice(parsed.consumed);
      line = parsed.line;
      if (parsed.records.length > 0) yield parsed.records;
    }
    let text = carry + decoder.decode();
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const parsed = parseRecords(text, line, true);
    if (parsed.records.length > 0) yield parsed.records;
  } finally {
    stream.destroy();
  }
}
