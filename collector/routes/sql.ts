import { InvalidRequestError } from '../../src/errors/index.ts';
import { DEFAULT_SQL_MAX_BYTES, runReadOnlyQuery } from '../../src/storage/index.ts';
import type { Database, QueryGate } from '../../src/storage/index.ts';
import { readJsonBody } from '../http/json-body.ts';
import { sendJson } from '../http/respond.ts';
import type { RouteHandler } from '../http/route-table.ts';

/** The largest `max_bytes` a request may ask for: 64 MiB. */
export const MAX_SQL_ANSWER_BYTES = 64 * 1024 * 1024;

/** Options of {@link sqlHandler}. */
export interface SqlHandlerOptions {
  /** Where queries wait for their turn (429 when its queue is full). */
  gate: QueryGate;
  /** Each query (with its wait) is cancelled after this long (408). */
  timeoutMillis: number;
}

/**
 * `POST /v1/agl/sql` with `{ "query": "...", "max_rows"?: n, "max_bytes"?: n }`: a read-only SQL
 * statement over the span tables (see `runReadOnlyQuery` for what is allowed). Answers
 * `{ columns: [{name, type}], rows: [[...]], truncated }`; at most `max_rows` (default 10000) rows
 * and about `max_bytes` (default 16 MiB, at most 64 MiB) of JSON.
 */
export function sqlHandler(database: Database, options: SqlHandlerOptions): RouteHandler {
  return async ({ request, response }) => {
    const body = await readJsonBody(request);
    if (typeof body !== 'object' || body === null || typeof (body as { query?: unknown }).query !== 'string') {
      throw new InvalidRequestError('Expected a JSON object with a string `query`');
    }
    const { query, max_rows: maxRows, max_bytes: maxBytes } = body as { query: string; max_rows?: unknown; max_bytes?: unknown };
    if (maxRows !== undefined && (typeof maxRows !== 'number' || !Number.isInteger(maxRows) || maxRows < 1)) {
      throw new InvalidRequestError(`Expected \`max_rows\` to be an integer ≥ 1, got \`${JSON.stringify(maxRows)}\``);
    }
    if (
      maxBytes !== undefined &&
      (typeof maxBytes !== 'number' || !Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_SQL_ANSWER_BYTES)
    ) {
      throw new InvalidRequestError(
        `Expected \`max_bytes\` to be an integer from 1 to ${MAX_SQL_ANSWER_BYTES}, got \`${JSON.stringify(maxBytes)}\``,
      );
    }
    const result = await runReadOnlyQuery(database, query, {
      maxRows: maxRows as number | undefined,
      maxBytes: (maxBytes as number | undefined) ?? DEFAULT_SQL_MAX_BYTES,
      timeoutMillis: options.timeoutMillis,
      timeoutName: 'agl serve --sql-timeout',
      gate: options.gate,
    });
    sendJson(response, 200, result);
  };
}
