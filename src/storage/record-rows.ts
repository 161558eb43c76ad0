/**
 * Rows of the tables that log records and metric data points go to, packed ({@link PackedRows}) so
 * that a decoder thread can hand them over cheaply, and the column layout of each table.
 */
import type { ColumnKind, PackedRows } from './row-pack.ts';
import { transferables } from './row-pack.ts';

/** The tables a {@link RecordRows} may fill. */
export type RecordTable = 'logs' | 'log_llm_messages' | 'metric_points';

/**
 * The stored columns of each table in table order (virtual columns left out), as appended; every
 * table also ends with `received_at`, which the sink appends.
 */
export const RECORD_TABLE_COLUMNS: Readonly<Record<RecordTable, readonly ColumnKind[]>> = {
  logs: [...'BBVVIVVVVVVVVVVII'] as ColumnKind[],
  log_llm_messages: [...'VVVVVBIIVVV'] as ColumnKind[],
  metric_points: [...'VVVVBBDBBDDDVVZIVVVVVVV'] as ColumnKind[],
};

/** The rows one OTLP logs or metrics request adds, by table. */
export interface RecordRows {
  /** The request's records (log records or data points): the weight of the write. */
  recordCount: number;
  tables: Partial<Record<RecordTable, PackedRows>>;
}

/** The buffers of `rows` that can move to another thread instead of being copied. */
export function recordRowsTransferables(rows: RecordRows): ArrayBuffer[] {
  return Object.values(rows.tables).flatMap((packed) => transferables(packed));
}
