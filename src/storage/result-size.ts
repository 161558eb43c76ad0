import { createRequire } from 'node:module';
import { DuckDBTypeId } from '@duckdb/node-api';
import type { DuckDBDataChunk } from '@duckdb/node-api';
import type * as Bindings from '@duckdb/node-bindings';
import { InvalidRequestError } from '../errors/index.ts';

// The C API bindings that @duckdb/node-api itself loads (its own dependency, resolved from it):
// they read a vector's lengths and offsets without turning its values into JavaScript.
const bindings = createRequire(createRequire(import.meta.url).resolve('@duckdb/node-api'))('@duckdb/node-bindings') as typeof Bindings;

/** Measures `count` values from `start` on; stops adding once the sum passes `budget`. */
type Measure = (start: number, count: number, budget: number) => number;

/** Bytes of JSON text a value of a fixed-size type takes at most, with its separator. */
const FIXED_JSON_BYTES = new Map<DuckDBTypeId, number>([
  [DuckDBTypeId.BOOLEAN, 6],
  [DuckDBTypeId.TINYINT, 5],
  [DuckDBTypeId.UTINYINT, 4],
  [DuckDBTypeId.SMALLINT, 7],
  [DuckDBTypeId.USMALLINT, 6],
  [DuckDBTypeId.INTEGER, 12],
  [DuckDBTypeId.UINTEGER, 11],
  [DuckDBTypeId.BIGINT, 23],
  [DuckDBTypeId.UBIGINT, 23],
  [DuckDBTypeId.HUGEINT, 43],
  [DuckDBTypeId.UHUGEINT, 43],
  [DuckDBTypeId.FLOAT, 25],
  [DuckDBTypeId.DOUBLE, 25],
  [DuckDBTypeId.DECIMAL, 43],
  [DuckDBTypeId.DATE, 15],
  [DuckDBTypeId.TIME, 18],
  [DuckDBTypeId.TIME_NS, 21],
  [DuckDBTypeId.TIME_TZ, 25],
  [DuckDBTypeId.TIMESTAMP, 30],
  [DuckDBTypeId.TIMESTAMP_S, 24],
  [DuckDBTypeId.TIMESTAMP_MS, 27],
  [DuckDBTypeId.TIMESTAMP_NS, 33],
  [DuckDBTypeId.TIMESTAMP_TZ, 36],
  [DuckDBTypeId.INTERVAL, 64],
  [DuckDBTypeId.UUID, 39],
  // An enum's labels come from the query text or the schema, both bounded.
  [DuckDBTypeId.ENUM, 64],
  [DuckDBTypeId.SQLNULL, 5],
]);

/** How many JSON bytes one stored byte of a string-like type can become. */
const STRING_GROWTH = new Map<DuckDBTypeId, number>([
  [DuckDBTypeId.VARCHAR, 1],
  [DuckDBTypeId.BLOB, 4],
  [DuckDBTypeId.GEOMETRY, 4],
  [DuckDBTypeId.BIT, 8],
  [DuckDBTypeId.BIGNUM, 3],
]);

/**
 * The size, in bytes of JSON text, of each row of a chunk, measured from DuckDB's vectors before
 * any value is converted to JavaScript: string lengths from their headers, list lengths from
 * their offsets. An estimate that errs high for numbers and ignores JSON escapes in strings; what
 * matters is that a huge value is seen as huge without being materialised.
 */
export class ChunkSizer {
  readonly #columns: Measure[];

  constructor(chunk: DuckDBDataChunk) {
    const rows = chunk.rowCount;
    this.#columns = Array.from({ length: chunk.columnCount }, (_, index) =>
      measureVector(bindings.data_chunk_get_vector(chunk.chunk, index), rows),
    );
  }

  /** The JSON bytes of row `row` (an array of its values), or a number above `budget` once it passes it. */
  rowBytes(row: number, budget: number): number {
    let total = 2;
    for (const measure of this.#columns) {
      total += measure(row, 1, budget - total);
      if (total > budget) break;
    }
    return total;
  }
}

function measureVector(vector: Bindings.Vector, capacity: number): Measure {
  const logicalType = bindings.vector_get_column_type(vector);
  const typeId = bindings.get_type_id(logicalType) as unknown as DuckDBTypeId;
  const validity = capacity > 0 ? bindings.vector_get_validity(vector, Math.ceil(capacity / 64) * 8) : null;
  const valid = (row: number) => bindings.validity_row_is_valid(validity, row);

  const fixed = FIXED_JSON_BYTES.get(typeId);
  if (fixed !== undefined) return (_start, count) => count * fixed;

  const growth = STRING_GROWTH.get(typeId);
  if (growth !== undefined) {
    if (capacity === 0) return () => 0;
    const data = bindings.vector_get_data(vector, capacity * 16);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return (start, count, budget) => {
      let total = 0;
      for (let row = start; row < start + count && total <= budget; row++) {
        // A string_t is 16 bytes; its first 4 are the length, whether inlined or not.
        total += valid(row) ? view.getUint32(row * 16, true) * growth + 3 : 5;
      }
      return total;
    };
  }

  switch (typeId) {
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.MAP: {
      if (capacity === 0) return () => 0;
      const data = bindings.vector_get_data(vector, capacity * 16);
      const entries = new BigUint64Array(data.buffer, data.byteOffset, capacity * 2);
      const child = measureVector(bindings.list_vector_get_child(vector), bindings.list_vector_get_size(vector));
      return (start, count, budget) => {
        let total = 0;
        for (let row = start; row < start + count && total <= budget; row++) {
          total += valid(row) ? child(Number(entries[row * 2]), Number(entries[row * 2 + 1]), budget - total) + 3 : 5;
        }
        return total;
      };
    }
    case DuckDBTypeId.ARRAY: {
      const size = bindings.array_type_array_size(logicalType);
      const child = measureVector(bindings.array_vector_get_child(vector), capacity * size);
      return (start, count, budget) => child(start * size, count * size, budget) + count * 3;
    }
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.UNION: {
      const fields =
        typeId === DuckDBTypeId.STRUCT
          ? bindings.struct_type_child_count(logicalType)
          : bindings.union_type_member_count(logicalType) + 1;
      const children: Measure[] = [];
      let names = 2;
      for (let index = 0; index < fields; index++) {
        children.push(measureVector(bindings.struct_vector_get_child(vector, index), capacity));
        names += (typeId === DuckDBTypeId.STRUCT ? bindings.struct_type_child_name(logicalType, index).length : 16) + 4;
      }
      return (start, count, budget) => {
        let total = count * names;
        for (const child of children) {
          if (total > budget) break;
          total += child(start, count, budget - total);
        }
        return total;
      };
    }
    default:
      throw new InvalidRequestError(
        `Columns of type ${DuckDBTypeId[typeId] ?? typeId} can't be returned as JSON; cast them, e.g. to VARCHAR or JSON`,
      );
  }
}
