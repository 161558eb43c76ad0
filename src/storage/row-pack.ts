import type { DuckDBAppender, DuckDBTimestampValue } from '@duckdb/node-api';

/** How a column is appended: V varchar, B bigint, I integer, D double, Z boolean. */
export type ColumnKind = 'V' | 'B' | 'I' | 'D' | 'Z';

/**
 * Rows of one table packed for a cheap trip between threads: every string of every row in one
 * string (with end offsets), numbers and bigints in typed arrays whose memory is transferred, not
 * copied. Structured-cloning the same rows as arrays of values cost about as much as decoding them;
 * this costs a memcpy of the text.
 *
 * Values are stored column kind by column kind in row order: the n-th `V` value of the rows is
 * `text.slice(textEnds[n - 1], textEnds[n])`, the n-th `B` value is `bigints[n]`, the n-th `I`, `D`
 * or `Z` value is `numbers[n]`. `nulls[i]` is 1 when the i-th value (counting every column) is null.
 */
export interface PackedRows {
  rowCount: number;
  text: string;
  textEnds: Int32Array;
  bigints: BigInt64Array;
  numbers: Float64Array;
  nulls: Uint8Array;
}

/** The buffers of `rows` that can be transferred to another thread rather than copied. */
export function transferables(rows: PackedRows): ArrayBuffer[] {
  return [rows.textEnds.buffer, rows.bigints.buffer, rows.numbers.buffer, rows.nulls.buffer] as ArrayBuffer[];
}

/** Builds {@link PackedRows}, value by value, in column order. */
export class RowPacker {
  readonly #kinds: readonly ColumnKind[];
  readonly #texts: string[] = [];
  #textEnds: Int32Array;
  #bigints: BigInt64Array;
  #numbers: Float64Array;
  #nulls: Uint8Array;
  #textCount = 0;
  #bigintCount = 0;
  #numberCount = 0;
  #valueCount = 0;
  #textLength = 0;
  #column = 0;
  #rowCount = 0;

  /** `expectedRows` sizes the arrays up front; they grow when more rows come. */
  constructor(kinds: readonly ColumnKind[], expectedRows = 8) {
    this.#kinds = kinds;
    const count = (kind: ColumnKind) => kinds.filter((each) => each === kind).length;
    const rows = Math.max(1, expectedRows);
    this.#textEnds = new Int32Array(rows * count('V'));
    this.#bigints = new BigInt64Array(rows * count('B'));
    this.#numbers = new Float64Array(rows * (kinds.length - count('V') - count('B')));
    this.#nulls = new Uint8Array(rows * kinds.length);
  }

  /** Adds the next value of the current row; the row ends after its last column. */
  add(value: string | bigint | number | boolean | null | undefined): void {
    const isNull = value === null || value === undefined;
    if (this.#valueCount === this.#nulls.length) this.#nulls = grow(this.#nulls);
    this.#nulls[this.#valueCount++] = isNull ? 1 : 0;
    switch (this.#kinds[this.#column]) {
      case 'V':
        if (!isNull) {
          this.#texts.push(value as string);
          this.#textLength += (value as string).length;
        }
        if (this.#textCount === this.#textEnds.length) this.#textEnds = grow(this.#textEnds);
        this.#textEnds[this.#textCount++] = this.#textLength;
        break;
      case 'B':
        if (this.#bigintCount === this.#bigints.length) this.#bigints = grow(this.#bigints);
        // A value outside int64 would wrap silently in the array: refuse it instead.
        if (!isNull && BigInt.asIntN(64, value as bigint) !== value) {
          throw new RangeError(`${String(value)} is outside the 64-bit integer range`);
        }
        this.#bigints[this.#bigintCount++] = isNull ? 0n : (value as bigint);
        break;
      default:
        if (this.#numberCount === this.#numbers.length) this.#numbers = grow(this.#numbers);
        this.#numbers[this.#numberCount++] = isNull ? 0 : Number(value);
    }
    if (++this.#column === this.#kinds.length) {
      this.#column = 0;
      this.#rowCount++;
    }
  }

  finish(): PackedRows {
    if (this.#column !== 0) throw new Error(`A row was left with ${this.#column} of ${this.#kinds.length} values`);
    return {
      rowCount: this.#rowCount,
      text: this.#texts.join(''),
      textEnds: this.#textEnds.slice(0, this.#textCount),
      bigints: this.#bigints.slice(0, this.#bigintCount),
      numbers: this.#numbers.slice(0, this.#numberCount),
      nulls: this.#nulls.slice(0, this.#valueCount),
    };
  }
}

function grow<T extends Int32Array | BigInt64Array | Float64Array | Uint8Array>(array: T): T {
  const larger = new (array.constructor as new (length: number) => T)(Math.max(8, array.length * 2));
  larger.set(array as never);
  return larger;
}

/** Appends packed rows, then `trailing` (when given) as one more column of every row. */
export function appendPackedRows(
  appender: DuckDBAppender,
  rows: PackedRows,
  kinds: readonly ColumnKind[],
  trailing: DuckDBTimestampValue | null,
): void {
  const { text, textEnds, bigints, numbers, nulls } = rows;
  const width = kinds.length;
  let value = 0;
  let textIndex = 0;
  let textStart = 0;
  let bigintIndex = 0;
  let numberIndex = 0;
  for (let row = 0; row < rows.rowCount; row++) {
    for (let column = 0; column < width; column++) {
      const isNull = nulls[value++] === 1;
      switch (kinds[column]) {
        case 'V': {
          const end = textEnds[textIndex++];
          if (isNull) appender.appendNull();
          else appender.appendVarchar(text.slice(textStart, end));
          textStart = end;
          break;
        }
        case 'B':
          if (isNull) appender.appendNull();
          else appender.appendBigInt(bigints[bigintIndex]);
          bigintIndex++;
          break;
        case 'I':
          if (isNull) appender.appendNull();
          else appender.appendInteger(numbers[numberIndex]);
          numberIndex++;
          break;
        case 'D':
          if (isNull) appender.appendNull();
          else appender.appendDouble(numbers[numberIndex]);
          numberIndex++;
          break;
        case 'Z':
          if (isNull) appender.appendNull();
          else appender.appendBoolean(numbers[numberIndex] === 1);
          numberIndex++;
          break;
      }
    }
    if (trailing) appender.appendTimestamp(trailing);
    appender.endRow();
  }
}
