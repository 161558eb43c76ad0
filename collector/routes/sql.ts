import { InvalidRequestError } from '../../src/errors/index.ts';
import { runReadOnlyQuery } from '../../src/storage/index.ts';
import type { Database } from '../../src/storage/index.ts';
import { readJsonBody } from '../http/json-body.ts';
import { sendJson } from '../http/respond.ts';
import type { RouteHandler } from '../http/router.ts';

/**
 * `POST /v1/agl/sql` with `{ "query": "...", "max_rows"?: n }`: a read-only SQL statement over the
 * span tables. Answers `{ columns: [{name, type}], rows: [[...]], truncated }`.
 */
export function sqlHandler(database: Database): RouteHandler {
  return async ({ request, response }) => {
    const body = await readJsonBody(request);
    if (typeof body !== 'object' || body === null || typeof (body as { query?: unknown }).query !== 'string') {
      throw new InvalidRequestError('Expected a JSON object with a string `query`');
    }
    const { query, max_rows: maxRows } = body as { query: string; max_rows?: unknown };
    if (maxRows !== undefined && (typeof maxRows !== 'number' || !Number.isInteger(maxRows) || maxRows < 1)) {
      throw new InvalidRequestError(`Expected \`max_rows\` to be an integer ≥ 1, got \`${JSON.stringify(maxRows)}\``);
    }
    const result = await runReadOnlyQuery(database, query, { maxRows: maxRows as number | undefined });
    sendJson(response, 200, result);
  };
}
