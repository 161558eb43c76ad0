import { AglError } from '../errors/index.ts';
import type { AglErrorOptions } from '../errors/index.ts';

/** What went wrong with a prompt template: `syntax` (the template) or `missing_value` (the values). */
export type PromptTemplateErrorReason = 'syntax' | 'missing_value' | 'unsupported';

/** A prompt template that cannot be parsed or formatted with the values given. */
export class PromptTemplateError extends AglError {
  /** Why: the template's syntax, a missing value, or a feature this engine does not support. */
  readonly reason: PromptTemplateErrorReason;
  /** The placeholder concerned, when one is. */
  readonly placeholder: string | undefined;

  constructor(reason: PromptTemplateErrorReason, message: string, placeholder?: string, options?: AglErrorOptions) {
    super('prompt_template_error', 400, message, options);
    this.reason = reason;
    this.placeholder = placeholder;
  }
}
