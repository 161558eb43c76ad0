/**
 * The dashboard's one way to reach the collector: `fetch` on the same origin, with the bearer token
 * the user entered (kept in localStorage) when the collector was started with `--token`.
 */

const TOKEN_KEY = 'agl-dashboard-token';

/** An answer other than 2xx: the status and the collector's `detail`. */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function getToken(): string {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(token: string): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  for (const listener of tokenListeners) listener();
}

const tokenListeners = new Set<() => void>();

/** Calls `listener` when the token changes; returns the unsubscribe function. */
export function onTokenChange(listener: () => void): () => void {
  tokenListeners.add(listener);
  return () => tokenListeners.delete(listener);
}

/** The headers of every call: the token when one is set. */
export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** A query string from the values that are set. */
export function queryString(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** GET (or POST with `body`) a JSON endpoint of the collector. */
export async function api<T>(path: string, options: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers: { ...authHeaders(), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const detail = (json as { detail?: unknown } | null)?.detail;
    const message = typeof detail === 'string' ? detail : detail ? JSON.stringify(detail) : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return json as T;
}

/** A keyset page: `next_cursor` gives the next one. */
export interface Page<T> {
  items: T[];
  limit: number;
  next_cursor: string | null;
  total?: number;
}

export interface RolloutRow {
  rollout_id: string;
  status: string;
  mode: string | null;
  resources_id: string | null;
  start_time: number;
  end_time: number | null;
  attempt_count: number;
  latest_attempt_id: string | null;
  input_preview: string;
  attempt_status: string | null;
  worker_id: string | null;
  reward: number | null;
}

export interface Attempt {
  attempt_id: string;
  sequence_id: number;
  status: string;
  start_time: number;
  end_time: number | null;
  worker_id: string | null;
  last_heartbeat_time: number | null;
  metadata: unknown;
  span_count: number;
  llm_call_count: number;
}

export interface Reward {
  attempt_id: string;
  trace_id: string;
  span_id: string;
  name: string;
  value: number;
  is_primary: boolean;
  reward_index: number;
  time: number;
}

export interface RolloutDetail {
  rollout: {
    rollout_id: string;
    input: unknown;
    mode: string | null;
    resources_id: string | null;
    status: string;
    start_time: number;
    end_time: number | null;
    max_attempts: number;
    retry_condition: string[];
    timeout_seconds: number | null;
    unresponsive_seconds: number | null;
    metadata: unknown;
    attempt_count: number;
    latest_attempt_id: string | null;
  };
  attempts: Attempt[];
  rewards: Reward[];
}

export interface SpanSummary {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: string;
  status_code: string;
  status_message: string | null;
  service_name: string | null;
  rollout_id: string | null;
  attempt_id: string | null;
  sequence_id: number | null;
  start_ns: string;
  start_ms: number;
  duration_ms: number;
  llm_model?: string | null;
  input_tokens?: number | null;
  output_tokens?: number | null;
  reward_count?: number;
  span_count?: number;
  error_count?: number;
}

/** A chat message in OpenAI's format, as `llm_calls` holds it. */
export interface ChatMessage {
  role: string;
  content?: unknown;
  name?: string;
  tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } }[];
  tool_call_id?: string;
}

export interface LlmCall {
  convention: string;
  model: string | null;
  input_messages: ChatMessage[];
  output_messages: ChatMessage[];
  input_tokens: number | null;
  output_tokens: number | null;
  details: Record<string, unknown>;
  duration_ms: number;
}

export interface SpanDetail {
  span: SpanSummary & {
    trace_state: string | null;
    scope_name: string | null;
    scope_version: string | null;
    attributes: Record<string, unknown>;
    resource: Record<string, unknown>;
    events: { name: string; time_unix_nano: string; attributes: Record<string, unknown> }[];
    links: unknown[];
    end_ns: string;
  };
  llm_call: LlmCall | null;
  rewards: { name: string; value: number; is_primary: boolean; reward_index: number }[];
}

export interface ResourcesVersion {
  resources_id: string;
  version: number;
  create_time: number;
  update_time: number;
  resources: Record<string, { resource_type: string; template?: string; [field: string]: unknown }>;
  rollout_count?: number;
  succeeded_count?: number;
}

// The shapes the collector sends, from the collector's own source (types only: nothing of it is bundled).
import type { ApoRoundRecord } from '../../src/algorithm/apo/apo-round-record.ts';
export type { ApoCandidateScore as Candidate } from '../../src/algorithm/apo/apo-round-record.ts';
export type { Worker } from '../../src/store/store-types.ts';

/** A round as `GET /v1/agl/dashboard/training` sends it (the run is the request's). */
export type ApoRound = Omit<ApoRoundRecord, 'run_id' | 'timed_out_rollout_ids'>;

export interface Training {
  runs: { run_id: string; rounds: number; last_completed_at: number }[];
  run_id: string | null;
  rounds: ApoRound[];
  best: { resources_id: string; val_score: number | null; resources: ResourcesVersion['resources'] | null } | null;
}


/** The text shown for a resources set: its prompt templates, or its JSON. */
export function resourcesText(resources: ResourcesVersion['resources'] | null | undefined): string {
  if (!resources) return '';
  const parts = Object.entries(resources).map(([name, resource]) =>
    typeof resource.template === 'string' ? `# ${name}\n${resource.template}` : `# ${name}\n${JSON.stringify(resource, null, 2)}`,
  );
  return parts.join('\n\n');
}
