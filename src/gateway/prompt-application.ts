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
import type { NamedResources } from '../store/index.ts';
import { GatewayPromptError } from './gateway-errors.ts';
import { isRecord } from './gen-ai-messages.ts';

/**
 * How the prompt goes into a request:
 * - `system`: it replaces the first `system` (or `developer`) message, or is inserted as a system
 *   message before the others when there is none;
 * - `marker`: it replaces every `{{agl.prompt}}` in the text of any message.
 */
export type GatewayPromptMode = 'system' | 'marker';

/** The `resource_type` of the resource that turns prompt application on. */
export const GATEWAY_PROMPT_RESOURCE_TYPE = 'gateway_prompt';
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
  const mode = resource.mode ?? 'system';
  if (mode !== 'system' && mode !== 'marker') {
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

/** The prompt rendered with the rollout's task: its fields when it is an object, else `{ input }`. */
export function renderRolloutPrompt(template: PromptTemplate, task: unknown): string {
  try {
    return template.format(isRecord(task) ? task : { input: task });
  } catch (error) {
    throw new GatewayPromptError(`The rollout's prompt template does not render with its task: ${(error as Error).message}`, { cause: error });
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
