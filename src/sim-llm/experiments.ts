import { isObject } from './chat-request.ts';

/** A message of an experiment, loosely read (OpenAI chat format, any extra fields ignored). */
export interface ExperimentMessage {
  role: string;
  content: string;
  /** Tool-call arguments and names flattened to text. */
  toolCalls: string;
}

/** One rollout as an optimizer request shows it. */
export interface Experiment {
  /** 1-based position in the request. */
  index: number;
  /** The final (primary) reward, when given. */
  reward: number | undefined;
  /** The rollout status (`succeeded`, `failed`, `timeout`…), when given. */
  status: string | undefined;
  messages: ExperimentMessage[];
  /** The experiment's raw text (for requests that render experiments as prose). */
  text: string;
}

const REWARD_KEYS = ['final_reward', 'reward', 'score', 'value'];

/**
 * Finds the experiments in an optimizer request, however they are rendered:
 * 1. as JSON (a list of objects each carrying a reward-like key — `final_reward`, `reward`,
 *    `score`, `rewards` — and, anywhere inside, OpenAI-format messages), the way Agent Lightning's
 *    POML templates embed `experiments`, and the way our APO's gradient prompts do;
 * 2. else as text records, split wherever a reward or status key repeats (YAML or prose).
 */
export function findExperiments(text: string): Experiment[] {
  const experiments: Experiment[] = [];
  for (const value of extractJsonValues(text)) collectExperiments(value, experiments);
  if (experiments.length > 0) return experiments.map((experiment, index) => ({ ...experiment, index: index + 1 }));
  return textExperiments(text);
}

function collectExperiments(value: unknown, into: Experiment[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectExperiments(item, into);
    return;
  }
  if (!isObject(value)) return;
  const reward = readReward(value);
  const messages: ExperimentMessage[] = [];
  collectMessages(value, messages, new Set());
  if ((reward !== undefined || typeof value.status === 'string') && messages.length > 0) {
    into.push({
      index: into.length + 1,
      reward,
      status: typeof value.status === 'string' ? value.status : undefined,
      messages,
      text: JSON.stringify(value),
    });
    return;
  }
  for (const child of Object.values(value)) collectExperiments(child, into);
}

function readReward(value: Record<string, unknown>): number | undefined {
  for (const key of REWARD_KEYS) {
    const field = value[key];
    if (typeof field === 'number' && Number.isFinite(field)) return field;
    if (typeof field === 'string' && field.trim() !== '' && Number.isFinite(Number(field))) return Number(field);
  }
  if (Array.isArray(value.rewards)) {
    for (const entry of value.rewards) {
      if (typeof entry === 'number') return entry;
      if (isObject(entry) && typeof entry.value === 'number') return entry.value;
    }
  }
  return undefined;
}

function collectMessages(value: unknown, into: ExperimentMessage[], seen: Set<string>): void {
  if (typeof value === 'string' && /^\s*[[{]/.test(value) && value.includes('"role"')) {
    // Messages kept as a JSON string (a DuckDB JSON column read as text, e.g. `llm_calls.input_messages`).
    try {
      collectMessages(JSON.parse(value), into, seen);
    } catch {
      // Not JSON after all.
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collectMessages(item, into, seen);
    return;
  }
  if (!isObject(value)) return;
  if (typeof value.role === 'string' && ('content' in value || 'tool_calls' in value)) {
    const message: ExperimentMessage = {
      role: value.role,
      content: contentText(value.content),
      toolCalls: Array.isArray(value.tool_calls) ? JSON.stringify(value.tool_calls) : '',
    };
    // The same message reappears in every later call's input: keep its first appearance only.
    const key = `${message.role}\u0000${message.content}\u0000${message.toolCalls}`;
    if (!seen.has(key)) {
      seen.add(key);
      into.push(message);
    }
    return;
  }
  for (const child of Object.values(value)) collectMessages(child, into, seen);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : '')).join('\n');
  if (content === null || content === undefined) return '';
  return JSON.stringify(content);
}

const RECORD_KEY = /(?:^|\n)[\s>*#-]*["']?(status|final_reward|reward|score)["']?\s*[:=]/gi;

function textExperiments(text: string): Experiment[] {
  const starts: number[] = [];
  let keys = new Set<string>();
  for (const match of text.matchAll(RECORD_KEY)) {
    const key = match[1].toLowerCase();
    if (keys.has(key) || starts.length === 0) {
      starts.push(match.index);
      keys = new Set();
    }
    keys.add(key);
  }
  const headers = [...text.matchAll(/(?:^|\n)\s*(?:#+\s*)?(?:experiment|rollout|example|trial|sample)\s*#?\s*\d+/gi)].map((match) => match.index);
  const boundaries = headers.length > 0 ? headers : starts;
  const experiments: Experiment[] = [];
  boundaries.forEach((start, position) => {
    const chunk = text.slice(start, boundaries[position + 1] ?? text.length);
    const rewardMatch = /["']?(?:final_reward|reward|score)["']?\s*[:=]\s*["']?(-?\d+(?:\.\d+)?)/i.exec(chunk);
    const statusMatch = /["']?status["']?\s*[:=]\s*["']?([a-z_]+)/i.exec(chunk);
    if (!rewardMatch && !statusMatch) return;
    const messages: ExperimentMessage[] = [];
    for (const value of extractJsonValues(chunk)) collectMessages(value, messages, new Set());
    experiments.push({
      index: experiments.length + 1,
      reward: rewardMatch ? Number(rewardMatch[1]) : undefined,
      status: statusMatch ? statusMatch[1] : undefined,
      messages,
      text: chunk,
    });
  });
  return experiments;
}

/**
 * Every JSON object or array embedded in `text` (outermost ones; a candidate that does not parse
 * is skipped and the scan continues inside it).
 */
export function extractJsonValues(text: string): unknown[] {
  const values: unknown[] = [];
  let index = 0;
  while (index < text.length) {
    const open = nextOpening(text, index);
    if (open < 0) break;
    const close = matchingClose(text, open);
    if (close > open) {
      try {
        values.push(JSON.parse(text.slice(open, close + 1)));
        index = close + 1;
        continue;
      } catch {
        // Not JSON (prose in braces, a template): look inside it.
      }
    }
    index = open + 1;
  }
  return values;
}

function nextOpening(text: string, from: number): number {
  for (let index = from; index < text.length; index++) {
    const char = text[index];
    if (char === '{' || char === '[') return index;
  }
  return -1;
}

/** The index of the bracket closing the one at `open` (string-aware), or -1. */
function matchingClose(text: string, open: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let index = open; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{') stack.push('}');
    else if (char === '[') stack.push(']');
    else if (char === '}' || char === ']') {
      if (stack.pop() !== char) return -1;
      if (stack.length === 0) return index;
    }
  }
  return -1;
}
