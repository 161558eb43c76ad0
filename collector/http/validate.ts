import { z } from 'zod';
import type { ZodType, core } from 'zod';
import { StoreValidationError } from '../../src/store/index.ts';
import type { ValidationIssue } from '../../src/store/index.ts';

/** Pydantic's error type and message for a value of the wrong type, by the type zod expected. */
const WRONG_TYPE: Record<string, { type: string; msg: string }> = {
  string: { msg: 'Input should be a valid string', type: 'string_type' },
  number: { msg: 'Input should be a valid number', type: 'float_type' },
  int: { msg: 'Input should be a valid integer', type: 'int_type' },
  array: { msg: 'Input should be a valid list', type: 'list_type' },
  object: { msg: 'Input should be a valid dictionary', type: 'dict_type' },
  record: { msg: 'Input should be a valid dictionary', type: 'dict_type' },
};

/**
 * An integer (any, not only a safe one), answered as pydantic's `int_type` whatever the wrong
 * value, `null` included; `Field required` when absent and not optional.
 */
export const integer = z.custom<number>((value) => typeof value === 'number' && Number.isInteger(value), {
  message: WRONG_TYPE.int.msg,
  params: { type: WRONG_TYPE.int.type },
});

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
  const known = pydanticIssue(issue, valueAt(value, path) === undefined);
  return known ? { loc: at, ...known } : { loc: at, msg: issue.message, type: issue.code };
}

/** Pydantic's `{msg, type}` for the zod issues it has a word for. */
function pydanticIssue(issue: core.$ZodIssue, absent: boolean): { msg: string; type: string } | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return absent ? { msg: 'Field required', type: 'missing' } : WRONG_TYPE[issue.expected];
    case 'custom': {
      if (absent) return { msg: 'Field required', type: 'missing' };
      const type = (issue.params as { type?: unknown } | undefined)?.type;
      return typeof type === 'string' ? { msg: issue.message, type } : undefined;
    }
    case 'invalid_value':
      return { msg: `Input should be ${issue.values.map((item) => `'${String(item)}'`).join(', ')}`, type: 'enum' };
    case 'too_small':
      if (issue.origin !== 'number' && issue.origin !== 'int') return undefined;
      return issue.inclusive
        ? { msg: `Input should be ≥ ${String(issue.minimum)}`, type: 'greater_than_equal' }
        : { msg: `Input should be > ${String(issue.minimum)}`, type: 'greater_than' };
    default:
      return undefined;
  }
}

function valueAt(value: unknown, path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
