import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseCsv } from './csv.ts';
import { CsvSyntaxError } from './csv.ts';
import { DatasetError } from './dataset-error.ts';

/** The formats {@link loadDataset} reads. */
export type DatasetFormat = 'jsonl' | 'json' | 'csv';

/** Options of {@link loadDataset}. */
export interface LoadDatasetOptions {
  /** The file's format. @default from the extension: `.jsonl` / `.ndjson` → jsonl, `.json` → json (JSON Lines when it does not start with `[`), `.csv` → csv; otherwise from the first character */
  format?: DatasetFormat;
}

/**
 * Reads a dataset file into its tasks:
 *
 * - **JSON Lines**: one JSON value per line (blank lines skipped);
 * - **JSON**: an array of tasks;
 * - **CSV**: a header row naming the fields, then one task per record (every value a string;
 *   quoted fields may hold commas, `""` and line breaks).
 *
 * A file that cannot be read or parsed throws a {@link DatasetError} naming the file, the line and
 * the parser's message; an empty dataset is an error too.
 */
export function loadDataset(path: string, options: LoadDatasetOptions = {}): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DatasetError(path, null, (error as Error).message, { cause: error });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const format = options.format ?? detectFormat(path, text);
  const tasks = format === 'csv' ? parseCsvTasks(path, text) : format === 'json' ? parseJsonArray(path, text) : parseJsonLines(path, text);
  if (tasks.length === 0) throw new DatasetError(path, null, 'no tasks in the file');
  return tasks;
}

/**
 * Splits a dataset for `--val-fraction`: the last `round(tasks × fraction)` tasks (at least one,
 * and at least one left to train on) validate, the others train; the file's order is kept.
 */
export function splitDataset<T>(tasks: readonly T[], valFraction: number): { train: T[]; val: T[] } {
  if (!(valFraction > 0 && valFraction < 1)) throw new RangeError(`Expected \`valFraction\` to be a number between 0 and 1 (exclusive), got \`${valFraction}\``);
  if (tasks.length < 2) throw new RangeError(`Expected at least 2 tasks to split into training and validation, got ${tasks.length}`);
  const valCount = Math.min(tasks.length - 1, Math.max(1, Math.round(tasks.length * valFraction)));
  return { train: tasks.slice(0, tasks.length - valCount), val: tasks.slice(tasks.length - valCount) };
}

function detectFormat(path: string, text: string): DatasetFormat {
  const extension = extname(path).toLowerCase();
  const first = /\S/.exec(text)?.[0];
  if (extension === '.csv') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  if (extension === '.json') return first === '[' ? 'json' : 'jsonl';
  if (first === '[') return 'json';
  if (first === '{') return 'jsonl';
  throw new DatasetError(path, null, `cannot tell the format: name the file .jsonl, .json or .csv`);
}

function parseJsonLines(path: string, text: string): unknown[] {
  const tasks: unknown[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    try {
      tasks.push(JSON.parse(line));
    } catch (error) {
      throw new DatasetError(path, index + 1, (error as Error).message, { cause: error });
    }
  }
  return tasks;
}

function parseJsonArray(path: string, text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DatasetError(path, locateJsonError(text, error as Error), (error as Error).message, { cause: error });
  }
  if (!Array.isArray(value)) throw new DatasetError(path, null, 'expected a JSON array of tasks');
  return value;
}

/**
 * The line of a JSON syntax error. V8 gives a position for some errors only, so the array's
 * elements are parsed one by one: the first that fails is the place (its start line, or the line of
 * the position within it when the message has one).
 */
function locateJsonError(text: string, error: Error): number | null {
  const lineAt = (offset: number): number => text.slice(0, offset).split('\n').length;
  const start = text.indexOf('[');
  if (start >= 0) {
    for (const element of topLevelElements(text, start + 1)) {
      try {
        JSON.parse(element.text);
      } catch (elementError) {
        const position = positionOf(elementError as Error) ?? offendingIndex(element.text);
        const leading = element.text.length - element.text.trimStart().length;
        return lineAt(element.offset + (position ?? leading));
      }
    }
  }
  const position = positionOf(error);
  return position === null ? lineAt(text.trimEnd().length) : lineAt(position);
}

/**
 * Where an element's JSON goes wrong when V8's message has no position ("Unexpected token"): the
 * first prefix that fails for another reason than being incomplete ends just after the culprit.
 * Quadratic, so only for elements of a reasonable size (a task).
 */
function offendingIndex(text: string): number | null {
  if (text.length > 20_000) return null;
  for (let end = 1; end <= text.length; end++) {
    try {
      JSON.parse(text.slice(0, end));
    } catch (error) {
      const message = (error as Error).message;
      const position = positionOf(error as Error);
      const incomplete = /end of JSON input|Unterminated string/.test(message) || position === end;
      if (!incomplete) return end - 1;
    }
  }
  return null;
}

function positionOf(error: Error): number | null {
  const match = / at position (\d+)/.exec(error.message);
  return match ? Number(match[1]) : null;
}

/** The texts between the top-level commas of an array (strings and nesting respected). */
function topLevelElements(text: string, from: number): { text: string; offset: number }[] {
  const elements: { text: string; offset: number }[] = [];
  let depth = 0;
  let inString = false;
  let elementStart = from;
  for (let index = from; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '[' || char === '{') depth++;
    else if ((char === ']' || char === '}') && depth > 0) depth--;
    else if ((char === ',' || char === ']') && depth === 0) {
      const element = text.slice(elementStart, index);
      if (element.trim() !== '' || char === ',') elements.push({ text: element, offset: elementStart });
      elementStart = index + 1;
      if (char === ']') break;
    }
  }
  if (elementStart < text.length && text.slice(elementStart).trim() !== '' && !elements.some((element) => element.offset === elementStart)) {
    elements.push({ text: text.slice(elementStart), offset: elementStart });
  }
  return elements;
}

function parseCsvTasks(path: string, text: string): Record<string, string>[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new DatasetError(path, error.line, error.message, { cause: error });
    throw error;
  }
  if (records.length === 0) return [];
  const [header, ...rows] = records;
  const names = header.fields.map((name) => name.trim());
  names.forEach((name, index) => {
    if (name === '') throw new DatasetError(path, header.line, `the header's column ${index + 1} has no name`);
    if (names.indexOf(name) !== index) throw new DatasetError(path, header.line, `the header names \`${name}\` twice`);
  });
  return rows.map((row) => {
    if (row.fields.length !== names.length) {
      throw new DatasetError(path, row.line, `expected ${names.length} fields (${names.join(', ')}), got ${row.fields.length}`);
    }
    return Object.fromEntries(names.map((name, index) => [name, row.fields[index]]));
  });
}
