import type { ZodType, core } from 'zod';
import { StoreValidationError } from '../../src/store/index.ts';
import type { ValidationIssue } from '../../src/store/index.ts';

/** Pydantic's error type and message for a value of the wrong type, by the type zod expected. */
const WRONG_TYPE: Record<string, { type: string; msg: string }> = {
  string: { type: 'string_type', msg: 'Input should be a valid string' },
  number: { type: 'float_type', msg: 'Input should be a valid number' },
  int: { type: 'int_type', msg: 'Input should be a valid integer' },
  array: { type: 'list_type', msg: 'Input should be a valid list' },
  object: { type: 'dict_type', msg: 'Input should be a valid dictionary' },
};

/**
 * Checks `value` against a zod schema; on failure throws a {@link StoreValidationError} whose
 * issues read as FastAPI's (`{loc, msg, type}`, `loc` starting with `loc`), so that the store's
 * error handler answers them as a 422 `HTTPValidationError`, like every other validation error of
 * the store API.
 */
export function parseWith<T>(schema: ZodType<T>, value: unknown, loc: (string | number)[] = ['body']): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new StoreValidationError(result.error.issues.map((issue) => validationIssue(issue, value, loc)));
}

function validationIssue(issue: core.$ZodIssue, value: unknown, loc: (string | number)[]): ValidationIssue {
  const path = issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key));
  const at = [...loc, ...path];
  if (issue.code === 'invalid_type') {
    if (valueAt(value, path) === undefined) return { loc: at, msg: 'Field required', type: 'missing' };
    const wrong = WRONG_TYPE[issue.expected];
    if (wrong) return { loc: at, ...wrong };
  }
  return { loc: at, msg: issue.message, type: issue.code };
}

function valueAt(value: unknown, path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
