/**
 * Prompt application: the gateway puts the rollout's prompt resource into a request, so that APO
 * can optimise the prompt of an agent that never reads a resource.
 *
 * A rollout asks for it through its resources: besides the prompt template, a resource of type
 * `gateway_prompt`, e.g. `gateway_prompt: { resource_type: 'gateway_prompt', mode: 'system' }`
 * (`prompt`: the name of the prompt template resource, by default the one named `prompt_template`
 * or the only one). APO keeps it in every candidate's resources, as it keeps every resource but the
 * prompt it rewrites.
 */
import { AgentResources, PromptTemplate } from '../agent/index.ts';
import { GATEWAY_PROMPT_MODES, GATEWAY_PROMPT_RESOURCE_TYPE } from '../store/index.ts';
import type { GatewayPromptMode, NamedResources } from '../store/index.ts';
// The project's one rule for rendering a prompt for a task (the task's fields, else its
// task_input's), as `agl train` checks it and AGL_PROMPT is built. Imported from its file, not
// from src/trainer/index.ts: the trainer imports the collector, which imports this gateway.
import { renderPromptForTask } from '../trainer/prompt-check.ts';
import { GatewayPromptError } from './gateway-errors.ts';
import { isRecord } from './gen-ai-messages.ts';

// The resource and its modes are the store's types (it validates them on add/update).
export { GATEWAY_PROMPT_RESOURCE_TYPE };
export type { GatewayPromptMode };
/** What `marker` mode replaces. */
export const PROMPT_MARKER = '{{agl.prompt}}';

/** A rollout's prompt-application setting, read from its resources. */
export interface GatewayPromptSetting {
  mode: GatewayPromptMode;
  /** The prompt template to apply. */
  template: PromptTemplate;
}

/**
 * The prompt-application setting of a rollout's resources, or `null` when they hold no
 * `gateway_prompt` resource. Throws {@link GatewayPromptError} for a malformed one.
 */
export function readGatewayPromptSetting(resources: NamedResources): GatewayPromptSetting | null {
  const entry = Object.entries(resources).find(([, resource]) => resource?.resource_type === GATEWAY_PROMPT_RESOURCE_TYPE);
  if (!entry) return null;
  const [name, resource] = entry;
  const mode = (resource.mode ?? 'system') as GatewayPromptMode;
  if (!GATEWAY_PROMPT_MODES.includes(mode)) {
    throw new GatewayPromptError(`Resource \`${name}\`: expected \`mode\` to be 'system' or 'marker', got ${JSON.stringify(mode)}`);
  }
  const promptName = resource.prompt;
  if (promptName !== undefined && typeof promptName !== 'string') {
    throw new GatewayPromptError(`Resource \`${name}\`: expected \`prompt\` to name a prompt template resource, got ${JSON.stringify(promptName)}`);
  }
  const withoutSetting = Object.fromEntries(Object.entries(resources).filter(([key]) => key !== name));
  let template: PromptTemplate;
  try {
    const agentResources = new AgentResources(withoutSetting);
    template = promptName === undefined ? agentResources.prompt : agentResources.getPromptTemplate(promptName);
  } catch (error) {
    throw new GatewayPromptError(`Prompt application (${name}): ${(error as Error).message}`, { cause: error });
  }
  return { mode, template };
}

/**
 * The prompt rendered for the rollout's task by the project's one rule (`renderPromptForTask`): with
 * the task's fields, else with those of its `task_input` (Agent Lightning's layout); a task that is
 * not an object gives `{ task }`, as `AGL_PROMPT` does for a command agent. Throws a
 * {@link GatewayPromptError} naming the placeholder without a value.
 */
export function renderRolloutPrompt(template: PromptTemplate, task: unknown): string {
  try {
    return renderPromptForTask(template, task, "the rollout's task") ?? template.format({ task });
  } catch (error) {
    throw new GatewayPromptError(`Prompt application: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The prompt setting of each resources record and its prompt rendered for each task (a rollout's
 * `input`), kept while those objects live: the store never changes its records in place (a change
 * makes new ones), and reading a setting and rendering its template cost 5–20 µs per call.
 */
export class RolloutPromptCache {
  readonly #known = new WeakMap<object, { setting: GatewayPromptSetting | null; rendered: WeakMap<object, string> }>();

  /** The prompt setting of `record` and its template rendered for `task`; `null` when it sets none. */
  resolve(record: { resources: NamedResources }, task: unknown): { setting: GatewayPromptSetting; prompt: string } | null {
    let known = this.#known.get(record);
    if (!known) {
      known = { setting: readGatewayPromptSetting(record.resources), rendered: new WeakMap() };
      this.#known.set(record, known);
    }
    const setting = known.setting;
    if (!setting) return null;
    const cacheable = typeof task === 'object' && task !== null;
    let prompt = cacheable ? known.rendered.get(task) : undefined;
    if (prompt === undefined) {
      prompt = renderRolloutPrompt(setting.template, task);
      if (cacheable) known.rendered.set(task, prompt);
    }
    return { setting, prompt };
  }
}

/**
 * `messages` with `prompt` put in by `mode` (a new array; the messages changed are copies), and
 * whether anything was put in (`marker` mode with no marker changes nothing).
 */
export function applyPrompt(messages: readonly unknown[], prompt: string, mode: GatewayPromptMode): { messages: unknown[]; applied: boolean } {
  if (mode === 'system') {
    const at = messages.findIndex((message) => isRecord(message) && (message.role === 'system' || message.role === 'developer'));
    if (at === -1) return { messages: [{ role: 'system', content: prompt }, ...messages], applied: true };
    const copy = [...messages];
    copy[at] = { ...(messages[at] as Record<string, unknown>), content: prompt };
    return { messages: copy, applied: true };
  }
  let applied = false;
  const replaced = messages.map((message) => {
    if (!isRecord(message)) return message;
    if (typeof message.content === 'string') {
      if (!message.content.includes(PROMPT_MARKER)) return message;
      applied = true;
      return { ...message, content: message.content.replaceAll(PROMPT_MARKER, prompt) };
    }
    if (!Array.isArray(message.content)) return message;
    let changed = false;
    const content = message.content.map((part) => {
      if (!isRecord(part) || typeof part.text !== 'string' || !part.text.includes(PROMPT_MARKER)) return part;
      changed = true;
      return { ...part, text: part.text.replaceAll(PROMPT_MARKER, prompt) };
    });
    if (!changed) return message;
    applied = true;
    return { ...message, content };
  });
  return { messages: replaced, applied };
}
