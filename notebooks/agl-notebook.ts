/**
 * What the notebooks share: the DuckDB file they read (read-only), a query that returns plain row
 * objects, and two ways to show rows (an HTML table in Jupyter, a bar chart in text).
 *
 * Loaded by the tslab kernel (`import { query, show } from './agl-notebook'`), which compiles it
 * with its own TypeScript; it imports packages only, so it also runs under tsx.
 */
import { existsSync } from 'fs';
import { resolve } from 'path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import * as tslab from 'tslab';

/** A row: column name → value as JSON (BIGINT and DECIMAL become numbers, timestamps ISO strings). */
export type Row = Record<string, unknown>;

/** The database the notebooks read: `AGL_DB`, else the demo's `../agl-train-demo.duckdb` (`npm run demo`). */
export const DB_PATH = resolve(process.env.AGL_DB ?? '../agl-train-demo.duckdb');

let connection: Promise<DuckDBConnection> | undefined;

function connect(): Promise<DuckDBConnection> {
  connection ??= (async () => {
    if (!existsSync(DB_PATH)) throw new Error(`No database at ${DB_PATH}: run \`npm run demo\` first, or set AGL_DB`);
    // Read-only: the file may be a finished training's; a running collector keeps its own lock, so
    // query a live one with `npx agl sql --server URL` instead.
    const instance = await DuckDBInstance.create(DB_PATH, { access_mode: 'READ_ONLY' });
    return instance.connect();
  })();
  return connection;
}

/** Runs one SQL statement on the database and returns its rows. */
export async function query(sql: string): Promise<Row[]> {
  const db = await connect();
  let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
  try {
    reader = await db.runAndReadAll(sql);
  } catch (error) {
    // The query goes with DuckDB's message: the kernel prints the error, not which call failed.
    throw new Error(`${(error as Error).message}\n-- in:\n${sql}`);
  }
  // JSON gives 64-bit integers and decimals as strings (exact); counts and sums read better as numbers.
  const numeric = reader.columnTypes().map((type) => /^(U?BIGINT|U?HUGEINT|DECIMAL)/.test(type.toString()));
  const names = reader.columnNames();
  return (reader.getRowObjectsJson() as Row[]).map((row) => {
    names.forEach((name, index) => {
      if (numeric[index] && row[name] !== null) row[name] = Number(row[name]);
    });
    return row;
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char);
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Shows rows as an HTML table (with a caption and the row count); says so when there are none. */
export function show(rows: Row[], caption: string): void {
  if (rows.length === 0) {
    console.log(`${caption}: no rows`);
    return;
  }
  const columns = Object.keys(rows[0]);
  const head = columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('');
  const body = rows.map((row) => `<tr>${columns.map((column) => `<td style="text-align:left; white-space:pre-wrap">${escapeHtml(cellText(row[column]))}</td>`).join('')}</tr>`).join('');
  tslab.display.html(`<table><caption>${escapeHtml(caption)} (${rows.length} rows)</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`);
}

/** Prints a horizontal bar per row (`label`, `value` from 0 to `max`), for a quick look at a trend. */
export function bars(rows: Row[], label: string, value: string, max = 1, width = 40): void {
  const labelWidth = Math.max(...rows.map((row) => cellText(row[label]).length), 1);
  for (const row of rows) {
    const number = Number(row[value]);
    const filled = Number.isFinite(number) ? Math.round((Math.max(0, Math.min(number, max)) / max) * width) : 0;
    console.log(`${cellText(row[label]).padEnd(labelWidth)} ${'█'.repeat(filled)}${'·'.repeat(width - filled)} ${Number.isFinite(number) ? cellText(number) : 'n/a'}`);
  }
}
