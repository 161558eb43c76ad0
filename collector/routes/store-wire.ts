import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { InvalidRequestError } from '../../src/errors/index.ts';
import { StoreValidationError } from '../../src/store/index.ts';
import type { PageOptions, SortOrder } from '../../src/store/index.ts';
import type { ZodType } from 'zod';
import { readJsonBody } from '../http/json-body.ts';
import { sendJson } from '../http/respond.ts';
import { parseWith } from '../http/validate.ts';

/**
 * Helpers shared by the store routes: reading snake_case JSON bodies and query strings into the
 * store's camelCase options, and answering validation errors as FastAPI does (422 with
 * `{ detail: [{ loc, msg, type }] }`), so Agent Lightning clients read them as they read its own.
 */

/**
 * The store family's error handler: a {@link StoreValidationError} becomes a 422
 * `HTTPValidationError`, its locations prefixed with where the input came from (the query string
 * of a GET, the body of a POST) unless they name it; other errors pass on.
 */
export const storeErrorHandler: ErrorRequestHandler = (error: unknown, request, response, next) => {
  if (!(error instanceof StoreValidationError)) {
    next(error);
    return;
  }
  const location = request.method === 'GET' || request.method === 'HEAD' ? 'query' : 'body';
  const detail = error.issues.map((issue) => ({
    ...issue,
    loc: issue.loc[0] === 'body' || issue.loc[0] === 'query' || issue.loc[0] === 'path' ? issue.loc : [location, ...issue.loc],
  }));
  sendJson(response, 422, { detail, code: error.code });
};

/** A JSON object body; `null` or an empty body gives `{}` when `allowNull`. */
export async function readObjectBody(request: IncomingMessage, allowNull = false): Promise<Record<string, unknown>> {
  const empty = request.headers['content-length'] === '0' && allowNull;
  const body = empty ? null : await readJsonBody(request);
  if (body === null && allowNull) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw StoreValidationError.at(['body'], 'Expected a JSON object', 'dict_type');
  }
  return body as Record<string, unknown>;
}

/**
 * Throws unless each named field is absent or not null: for a field the store cannot hold as null
 * (a rollout's `status`, an attempt's `worker_id`…). Answers 400 with Agent Lightning's words.
 */
export function refuseNull(body: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  for (const name of names) {
    if (Object.hasOwn(body, name) && body[name] === null) throw new InvalidRequestError(`${name} is invalid; it cannot be a null value.`);
  }
  return body;
}

/** Pagination and sorting as parsed from a body or query string. */
export interface WirePage {
  limit?: number;
  offset?: number;
  sort_by?: string | null;
  sort_order?: SortOrder | null;
}

/** The store's page options; `sort_by` absent gives `defaultSortBy`, null gives none. */
export function pageOptions(page: WirePage, defaultSortBy?: string): PageOptions {
  return {
    limit: page.limit,
    offset: page.offset,
    sortBy: page.sort_by === undefined ? defaultSortBy : page.sort_by,
    sortOrder: page.sort_order ?? undefined,
  };
}

/**
 * The query string checked against `schema` (errors located in `query`): keys in `lists` become
 * lists of their values, others keep their last value (the schema parses numbers).
 */
export function parseQuery<T>(url: URL, schema: ZodType<T>, lists: readonly string[] = []): T {
  const object: Record<string, unknown> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    object[key] = lists.includes(key) ? values : values[values.length - 1];
  }
  return parseWith(schema, object, ['query']);
}

/** Sends a JSON answer (200 unless told). */
export function answer(response: ServerResponse, body: unknown, status = 200): void {
  sendJson(response, status, body);
}
