import { PromptTemplateError, renderTaskPrompt } from '../agent/index.ts';
import type { PromptTemplate } from '../agent/index.ts';
import { AglError } from '../errors/index.ts';

/** The prompt template cannot be rendered for a training task: training would only produce failures. */
export class PromptRenderError extends AglError {
  /** The placeholder without a value, when that is the problem. */
  readonly placeholder: string | undefined;

  constructor(message: string, placeholder: string | undefined, options?: { cause?: unknown }) {
    super('prompt_render_error', 400, message, options);
    this.placeholder = placeholder;
  }
}

/**
 * Renders `prompt` for `task` the way agents usually do — with the task's fields, or with those of
 * its `task_input` (Agent Lightning's layout) when the task's own do not fill the template — and
 * returns the text. Throws a {@link PromptRenderError} naming the placeholder (and the fields the
 * task has) when neither renders. Tasks that are not objects are not checked (null is returned):
 * how an agent turns them into values is its own business.
 */
export function renderPromptForTask(prompt: PromptTemplate, task: unknown, what = 'the first training task'): string | null {
  if (typeof task !== 'object' || task === null || Array.isArray(task)) return null;
  const rendering = renderTaskPrompt(prompt, task);
  if (rendering.text !== null) return rendering.text;
  const { error: firstError, values: candidates } = rendering;
  const fields = Object.keys(task).join(', ') || '(none)';
  if (firstError instanceof PromptTemplateError && firstError.reason === 'missing_value') {
    const name = firstError.placeholder;
    throw new PromptRenderError(
      `the prompt template does not render for ${what}: ${name === undefined ? firstError.message : `the placeholder \`${name}\` has no value`} ` +
        `(the task's fields: ${fields}${candidates.length > 1 ? `; its task_input's: ${Object.keys(candidates[1]).join(', ')}` : ''}). ` +
        'Every rollout would fail: fix the placeholder or the dataset',
      name,
      { cause: firstError },
    );
  }
  throw new PromptRenderError(`the prompt template does not render for ${what}: ${(firstError as Error).message}`, undefined, { cause: firstError });
}
