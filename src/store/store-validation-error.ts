import { AglError } from '../errors/index.ts';
import type { AglErrorOptions } from '../errors/index.ts';

/** One problem with a request, as FastAPI reports it (`ValidationError`). */
export interface ValidationIssue {
  /** Where: e.g. `['body', 'rollouts', 0, 'config', 'max_attempts']` or `['query', 'limit']`. */
  loc: (string | number)[];
  msg: string;
  /** A short kind, e.g. `int_type`, `enum`, `missing`. */
  type: string;
}

/**
 * A store request with invalid fields (422, as FastAPI answers). The HTTP layer sends `issues` as
 * the `HTTPValidationError` body `{ detail: [{ loc, msg, type }] }`.
 */
export class StoreValidationError extends AglError {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], options?: AglErrorOptions) {
    super(
      'validation_error',
      422,
      issues.map((issue) => `\`${issue.loc.join('.')}\`: ${issue.msg}`).join('; ') || 'Invalid request',
      options,
    );
    this.issues = issues;
  }

  /** One issue at `loc`. */
  static at(loc: (string | number)[], msg: string, type = 'value_error'): StoreValidationError {
    return new StoreValidationError([{ loc, msg, type }]);
  }
}
