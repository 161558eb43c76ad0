import type { QueryResult } from '../storage/index.ts';

/** How `agl sql` prints results. */
export type OutputFormat = 'table' | 'json' | 'csv';

/** Renders a query result in `format`, ending with a newline. */
export function formatQueryResult(result: QueryResult, format: OutputFormat): string {
  if (format === 'json') {
    const objects = result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column.name, row[i]])));
    return `${JSON.stringify(objects, null, 2)}\n`;
  }
  if (format === 'csv') {
    const lines = [result.columns.map((column) => csvField(column.name)).join(',')];
    for (const row of result.rows) lines.push(row.map((value) => csvField(cellText(value))).join(','));
    return `${lines.join('\n')}\n`;
  }
  return asciiTable(result);
}

const MAX_CELL = 60;

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function asciiTable(result: QueryResult): string {
  const header = result.columns.map((column) => column.name);
  const body = result.rows.map((row) =>
    row.map((value) => {
      const text = value === null ? 'NULL' : cellText(value).replace(/\s+/g, ' ');
      return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
    }),
  );
  const widths = header.map((name, i) => Math.max(name.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => `│ ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' │ ')} │`;
  const rule = (left: string, middle: string, right: string) =>
    `${left}${widths.map((width) => '─'.repeat(width + 2)).join(middle)}${right}`;
  const out = [rule('┌', '┬', '┐'), line(header), rule('├', '┼', '┤'), ...body.map(line), rule('└', '┴', '┘')];
  const count = `${result.rows.length} row${result.rows.length === 1 ? '' : 's'}${result.truncated ? ' (truncated)' : ''}`;
  return `${out.join('\n')}\n${count}\n`;
}
