import { InvalidRequestError } from '../errors/index.ts';

/** What `agl export` writes. */
export type ExportWhat = 'spans' | 'rollouts' | 'llm_calls' | 'triplets';
/** The file format of an export. */
export type ExportFormat = 'parquet' | 'jsonl';

/** The values of {@link ExportWhat}. */
export const EXPORT_WHATS: readonly ExportWhat[] = ['spans', 'rollouts', 'llm_calls', 'triplets'];
/** The values of {@link ExportFormat}. */
export const EXPORT_FORMATS: readonly ExportFormat[] = ['parquet', 'jsonl'];

/** Which rows an export keeps; every filter given must hold. */
export interface ExportFilters {
  /** Rows that start at or after this time (µs since the epoch). */
  sinceMicros?: number;
  /** Rows that start before this time (µs since the epoch). */
  untilMicros?: number;
  /** Rows of these rollouts only. */
  rolloutIds?: string[];
  /** Rows of rollouts that ran with this resources id only (`rollouts.resources_id`). */
  resourcesId?: string;
}

/** A validated export: the only input the SQL of an export is built from. */
export interface ExportRequest {
  what: ExportWhat;
  format: ExportFormat;
  filters: ExportFilters;
}

/**
 * The wire shape of an export (the body of `POST /v1/agl/export`): times as epoch seconds (numbers
 * or strings of numbers) or ISO 8601 strings.
 */
export interface ExportRequestBody {
  what: unknown;
  format: unknown;
  filters?: {
    since?: unknown;
    until?: unknown;
    rollout_ids?: unknown;
    resources_id?: unknown;
  };
}

/** Validates an export given on the wire or the command line; throws {@link InvalidRequestError}. */
export function parseExportRequest(body: unknown): ExportRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('Expected a JSON object `{what, format, filters}`');
  }
  const { what, format, filters = {} } = body as ExportRequestBody;
  if (typeof what !== 'string' || !(EXPORT_WHATS as readonly string[]).includes(what)) {
    throw new InvalidRequestError(`Expected \`what\` to be one of ${EXPORT_WHATS.join(', ')}, got \`${JSON.stringify(what)}\``);
  }
  if (typeof format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new InvalidRequestError(`Expected \`format\` to be parquet or jsonl, got \`${JSON.stringify(format)}\``);
  }
  if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) {
    throw new InvalidRequestError('Expected `filters` to be an object');
  }
  const known = new Set(['since', 'until', 'rollout_ids', 'resources_id']);
  for (const key of Object.keys(filters)) {
    if (!known.has(key)) throw new InvalidRequestError(`Unknown filter \`${key}\` (known: ${[...known].join(', ')})`);
  }
  const parsed: ExportFilters = {};
  if (filters.since !== undefined && filters.since !== null) parsed.sinceMicros = parseExportTime(filters.since, 'since');
  if (filters.until !== undefined && filters.until !== null) parsed.untilMicros = parseExportTime(filters.until, 'until');
  if (parsed.sinceMicros !== undefined && parsed.untilMicros !== undefined && parsed.sinceMicros >= parsed.untilMicros) {
    throw new InvalidRequestError('Expected `since` to be before `until`');
  }
  if (filters.rollout_ids !== undefined && filters.rollout_ids !== null) {
    const ids = filters.rollout_ids;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every(isIdentifier)) {
      throw new InvalidRequestError('Expected `rollout_ids` to be a non-empty list of non-empty strings');
    }
    parsed.rolloutIds = [...new Set(ids as string[])];
  }
  if (filters.resources_id !== undefined && filters.resources_id !== null) {
    if (!isIdentifier(filters.resources_id)) throw new InvalidRequestError('Expected `resources_id` to be a non-empty string');
    parsed.resourcesId = filters.resources_id;
  }
  return { what: what as ExportWhat, format: format as ExportFormat, filters: parsed };
}

/**
 * A time as µs since the epoch: epoch seconds (a number or a string of one, fractions allowed) or an
 * ISO 8601 date or date-time (without a zone it is UTC, as DuckDB's timestamps are).
 */
export function parseExportTime(value: unknown, name: string): number {
  let seconds: number | null = null;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) seconds = Number(value);
  else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(value.trim())) {
    let text = value.trim().replace(' ', 'T');
    if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(text) && text.includes('T')) text += 'Z';
    const millis = Date.parse(text);
    if (Number.isFinite(millis)) seconds = millis / 1000;
  }
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0 || seconds > 253_402_300_799) {
    throw new InvalidRequestError(
      `Expected \`${name}\` to be epoch seconds or an ISO 8601 time (e.g. 2025-01-31T12:00:00Z), got \`${JSON.stringify(value)}\``,
    );
  }
  return Math.round(seconds * 1e6);
}

function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 1024 && !value.includes('\0');
}
