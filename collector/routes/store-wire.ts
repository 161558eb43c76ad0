import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { InvalidRequestError } from '../../src/errors/index.ts';
import { StoreValidationError } from '../../src/store/index.ts';
import type { FilterLogic, PageOptions, SortOrder } from '../../src/store/index.ts';
import { readJsonBody } from '../http/json-body.ts';
import { sendJson } from '../http/respond.ts';

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

/** Reads typed fields of a body object, naming the field in every error. */
export class Fields {
  readonly #object: Record<string, unknown>;
  readonly #loc: (string | number)[];

  constructor(object: Record<string, unknown>, loc: (string | number)[] = ['body']) {
    this.#object = object;
    this.#loc = loc;
  }

  has(name: string): boolean {
    return Object.hasOwn(this.#object, name);
  }

  raw(name: string): unknown {
    return this.#object[name];
  }

  /**
   * Throws unless the field is absent or not null: for a field the store cannot hold as null (a
   * rollout's `status`, an attempt's `worker_id`…). Answers 400 with Agent Lightning's words.
   */
  notNull(name: string): this {
    if (Object.hasOwn(this.#object, name) && this.#object[name] === null) {
      throw new InvalidRequestError(`${name} is invalid; it cannot be a null value.`);
    }
    return this;
  }

  /** `undefined` when absent; `null` when null (if allowed). */
  string(name: string, options: { nullable?: boolean; required?: boolean } = {}): string | null | undefined {
    const value = this.#object[name];
    if (value === undefined) return this.#missing(name, options.required);
    if (value === null && options.nullable !== false) return null;
    if (typeof value !== 'string') throw this.#error(name, 'Input should be a valid string', 'string_type');
    return value;
  }

  number(name: string, options: { nullable?: boolean } = {}): number | null | undefined {
    const value = this.#object[name];
    if (value === undefined) return undefined;
    if (value === null && options.nullable !== false) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.#error(name, 'Input should be a valid number', 'float_type');
    return value;
  }

  integer(name: string): number | undefined {
    const value = this.#object[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw this.#error(name, 'Input should be a valid integer', 'int_type');
    return value;
  }

  object(name: string): Record<string, unknown> | null | undefined {
    const value = this.#object[name];
    if (value === undefined || value === null) return value;
    if (typeof value !== 'object' || Array.isArray(value)) throw this.#error(name, 'Input should be a valid dictionary', 'dict_type');
    return value as Record<string, unknown>;
  }

  enumValue<T extends string>(name: string, allowed: readonly T[]): T | null | undefined {
    const value = this.#object[name];
    if (value === undefined || value === null) return value;
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      throw this.#error(name, `Input should be ${allowed.map((item) => `'${item}'`).join(', ')}`, 'enum');
    }
    return value as T;
  }

  stringList(name: string, allowed?: readonly string[]): string[] | null | undefined {
    const value = this.#object[name];
    if (value === undefined || value === null) return value;
    if (!Array.isArray(value)) throw this.#error(name, 'Input should be a valid list', 'list_type');
    value.forEach((item, index) => {
      if (typeof item !== 'string' || (allowed && !allowed.includes(item))) {
        throw new StoreValidationError([
          {
            loc: [...this.#loc, name, index],
            msg: allowed ? `Input should be ${allowed.map((entry) => `'${entry}'`).join(', ')}` : 'Input should be a valid string',
            type: allowed ? 'enum' : 'string_type',
          },
        ]);
      }
    });
    return value as string[];
  }

  #missing(name: string, required: boolean | undefined): undefined {
    if (required) throw this.#error(name, 'Field required', 'missing');
    return undefined;
  }

  #error(name: string, msg: string, type: string): StoreValidationError {
    return new StoreValidationError([{ loc: [...this.#loc, name], msg, type }]);
  }
}

/** Pagination and sorting from a body. */
export function pageFromBody(fields: Fields, defaultSortBy?: string): PageOptions {
  const sortBy = fields.has('sort_by') ? fields.string('sort_by') : defaultSortBy;
  return {
    limit: fields.integer('limit'),
    offset: fields.integer('offset'),
    sortBy,
    sortOrder: fields.enumValue<SortOrder>('sort_order', ['asc', 'desc']) ?? undefined,
  };
}

/** The query string as a {@link Fields}: repeated keys become lists, numbers are parsed. */
export function queryFields(url: URL, lists: readonly string[], integers: readonly string[]): Fields {
  const object: Record<string, unknown> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    if (lists.includes(key)) object[key] = values;
    else if (integers.includes(key)) {
      const text = values[values.length - 1];
      const number = /^-?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
      if (Number.isNaN(number)) {
        throw new StoreValidationError([{ loc: ['query', key], msg: 'Input should be a valid integer', type: 'int_type' }]);
      }
      object[key] = number;
    } else object[key] = values[values.length - 1];
  }
  return new Fields(object, ['query']);
}

/** `filter_logic` of a body or query. */
export function filterLogic(fields: Fields): FilterLogic | undefined {
  return fields.enumValue<FilterLogic>('filter_logic', ['and', 'or']) ?? undefined;
}

/** Sends a JSON answer (200 unless told). */
export function answer(response: ServerResponse, body: unknown, status = 200): void {
  sendJson(response, status, body);
}
