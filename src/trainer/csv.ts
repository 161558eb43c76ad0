/** One record of a CSV file: its fields and the (1-based) line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/** A CSV text that does not parse: where, and why. */
export class CsvSyntaxError extends SyntaxError {
  /** The 1-based line of the problem. */
  readonly line: number;

  constructor(message: string, line: number) {
    super(message);
    this.name = 'CsvSyntaxError';
    this.line = line;
  }
}

/**
 * Parses CSV as RFC 4180 writes it: fields separated by commas, records by LF or CRLF; a field in
 * double quotes may hold commas, line breaks and `""` (a quote). A quote inside an unquoted field,
 * text after a closing quote, and a quoted field never closed are errors naming their line. Empty
 * lines are skipped; a leading byte-order mark is dropped.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let index = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (index < text.length) {
    // Skip empty lines between records.
    if (text[index] === '\n' || (text[index] === '\r' && text[index + 1] === '\n')) {
      index += text[index] === '\r' ? 2 : 1;
      line++;
      continue;
    }
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[index] === '"') {
        const quoteLine = line;
        index++;
        for (;;) {
          if (index >= text.length) throw new CsvSyntaxError(`the quoted field opened on line ${quoteLine} is never closed`, quoteLine);
          const char = text[index];
          if (char === '"') {
            if (text[index + 1] === '"') {
              field += '"';
              index += 2;
              continue;
            }
            index++;
            break;
          }
          if (char === '\n') line++;
          field += char;
          index++;
        }
        const next = text[index];
        if (next !== undefined && next !== ',' && next !== '\n' && !(next === '\r' && text[index + 1] === '\n')) {
          throw new CsvSyntaxError(`unexpected \`${next}\` after the closing quote of field ${fields.length + 1} (a quote inside a quoted field is written "")`, line);
        }
      } else {
        while (index < text.length && text[index] !== ',' && text[index] !== '\n' && !(text[index] === '\r' && text[index + 1] === '\n')) {
          if (text[index] === '"') throw new CsvSyntaxError(`a quote inside the unquoted field ${fields.length + 1} (quote the whole field and write the quote as "")`, line);
          field += text[index];
          index++;
        }
      }
      fields.push(field);
      if (text[index] === ',') {
        index++;
        continue;
      }
      // End of the record: a line break or the end of the text.
      if (text[index] === '\r') index++;
      if (text[index] === '\n') {
        index++;
        line++;
      }
      break;
    }
    records.push({ fields, line: recordLine });
  }
  return records;
}
