import { join } from 'node:path';
import { Collector } from '../../collector/index.ts';
import type { CollectorOptions } from '../../collector/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { runReadOnlyQuery } from '../../src/storage/index.ts';
import type { Json } from '@duckdb/node-api';
import { tempDir } from './temp-dir.ts';

/** Starts a collector on a free port with a fresh DuckDB file and a silent logger. */
export async function startTestCollector(options: CollectorOptions = {}): Promise<Collector> {
  return Collector.start({
    dbPath: join(tempDir(), 'agl.duckdb'),
    port: 0,
    logger: createLogger('silent'),
    ...options,
  });
}

/** Rows of a query as objects keyed by column name. */
export async function queryRows(collector: Collector, sql: string): Promise<Record<string, Json>[]> {
  const result = await runReadOnlyQuery(collector.database, sql, { maxRows: 1_000_000, maxBytes: 256 * 1024 * 1024, maxMemoryGrowthBytes: null });
  return result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column.name, row[i]])));
}
