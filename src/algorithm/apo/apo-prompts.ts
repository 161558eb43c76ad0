/**
 * The optimizer's prompts, written for this project. Several wordings of each call are rotated
 * (by child) so that beam search sees varied critiques and edits; each wording carries the same
 * parts: the current template under a `## Current prompt template` heading, then the experiments
 * (for the critique) or the critique (for the edit).
 */

/** Asks for a critique (the textual gradient) of a prompt from experiments run with it. */
export const GRADIENT_PROMPT_VARIANTS: readonly string[] = [
  [
    'You review prompt templates for an AI agent. Below is the current prompt template and a set of experiments (rollouts) run with it:',
    'each experiment lists the messages the agent exchanged with the model, its final reward (1 is best) and its status.',
    'Write a critique of the prompt: for every experiment with a reward below 1, say what the agent got wrong and which instruction the prompt is missing or states unclearly.',
    'End with a list of the rules that should be added to the prompt.',
  ].join(' '),
  [
    'Act as a careful prompt engineer giving feedback. Study the experiments below, produced by an agent following the current prompt template.',
    'Compare the failing rollouts (low final reward) with the successful ones and explain the mistakes the prompt let happen.',
    'Give concrete, actionable feedback on the template; do not rewrite it.',
  ].join(' '),
  [
    'Diagnose the prompt template below from its rollouts. For each rollout that failed or scored below 1, identify the cause',
    '(a constraint not applied, a wrong tie-break, a missing fallback answer, an unreadable output format) and name the instruction that would have prevented it.',
    'Summarise the instructions the template lacks in a short list.',
  ].join(' '),
];

/** Asks for a revised prompt that applies a critique. */
export const EDIT_PROMPT_VARIANTS: readonly string[] = [
  [
    'Revise the prompt template below so that it addresses the critique. Keep every placeholder in curly braces exactly as it is,',
    'add no new placeholder, and keep the parts of the prompt that work. Reply with the revised prompt template only, nothing else.',
  ].join(' '),
  [
    'Rewrite the current prompt template by applying the critique: add the missing instructions clearly and concisely.',
    'Every {placeholder} of the original must appear unchanged and no other curly braces may be introduced.',
    'Answer with the new template text only, with no preamble and no code fence.',
  ].join(' '),
  [
    'Improve the prompt template using the feedback in the critique. Preserve the original text and its placeholders verbatim',
    'and append the rules the critique asks for. Output only the improved template.',
  ].join(' '),
];

/** The user message of a critique request. */
export function gradientMessage(variant: number, template: string, experiments: unknown[]): string {
  const instructions = GRADIENT_PROMPT_VARIANTS[variant % GRADIENT_PROMPT_VARIANTS.length];
  return `${instructions}\n\n## Current prompt template\n${template}\n\n## Experiments\n${JSON.stringify(experiments, null, 1)}\n`;
}

/** The user message of an edit request. */
export function editMessage(variant: number, template: string, critique: string): string {
  const instructions = EDIT_PROMPT_VARIANTS[variant % EDIT_PROMPT_VARIANTS.length];
  return `${instructions}\n\n## Current prompt template\n${template}\n\n## Critique\n${critique}\n`;
}

/** The template in an edit reply: code fences and `<prompt_template>` tags removed, trimmed. */
export function extractTemplate(reply: string): string {
  let text = reply.trim();
  const tagged = /<prompt_template>([\s\S]*?)<\/prompt_template>/i.exec(text);
  if (tagged) text = tagged[1].trim();
  const fenced = /^```[\w-]*\n([\s\S]*?)\n```$/.exec(text);
  if (fenced) text = fenced[1].trim();
  return text;
}
