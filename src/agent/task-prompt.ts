import type { PromptTemplate } from './prompt-template.ts';

/** What {@link renderTaskPrompt} gives: the text, or the first error with the values tried. */
export type TaskPromptRendering =
  | { text: string }
  | { text: null; error: unknown; values: Record<string, unknown>[] };

/**
 * Renders `prompt` for a task the way agents usually do: with the task's fields, else with those
 * of its `task_input` (Agent Lightning's layout); a task that is not an object fills `{task}`.
 */
export function renderTaskPrompt(prompt: PromptTemplate, task: unknown): TaskPromptRendering {
  const values: Record<string, unknown>[] = [];
  if (typeof task === 'object' && task !== null && !Array.isArray(task)) {
    values.push(task as Record<string, unknown>);
    const input = (task as { task_input?: unknown }).task_input;
    if (typeof input === 'object' && input !== null && !Array.isArray(input)) values.push(input as Record<string, unknown>);
  } else {
    values.push({ task });
  }
  let firstError: unknown;
  for (const value of values) {
    try {
      return { text: prompt.format(value) };
    } catch (error) {
      firstError ??= error;
    }
  }
  return { text: null, error: firstError, values };
}
