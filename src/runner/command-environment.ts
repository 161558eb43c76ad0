import { AGL_ATTEMPT_ID, AGL_ROLLOUT_ID } from '../semconv/index.ts';

/** What {@link commandEnvironment} builds the environment of one rollout's command from. */
export interface CommandEnvironmentInput {
  /** The environment the command inherits (the runner's, then the user's additions). */
  base: Record<string, string | undefined>;
  /** The collector's base URL (`AGL_SERVER`). */
  server: string;
  /** Where the command's OpenTelemetry SDK exports (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  otlpEndpoint: string;
  /** The collector's bearer token, when it has one. */
  token: string | undefined;
  rolloutId: string;
  attemptId: string;
  /** The task as JSON. */
  taskJson: string;
  /** The rollout's named resources as JSON. */
  resourcesJson: string;
  /** The prompt template rendered for the task, when the resources have one. */
  prompt: string | null;
  /** The prompt template's own text, when the resources have one. */
  promptTemplate: string | null;
}

/** The OpenAI-compatible base URL of the collector's gateway for one attempt. */
export function gatewayBaseUrl(server: string, rolloutId: string, attemptId: string): string {
  return `${server.replace(/\/+$/, '')}/v1/agl/gateway/rollouts/${encodeURIComponent(rolloutId)}/attempts/${encodeURIComponent(attemptId)}/v1`;
}

/** The API key the command's OpenAI client is given when the environment has none (the gateway holds the upstream's key). */
export const GATEWAY_PLACEHOLDER_API_KEY = 'agl-gateway';

// Signal-specific OTLP variables win over OTEL_EXPORTER_OTLP_ENDPOINT in every SDK: inherited ones
// would send the command's telemetry past the collector.
const SIGNAL_ENDPOINTS = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'];

/**
 * Percent-encodes a value of `OTEL_RESOURCE_ATTRIBUTES` as the OpenTelemetry specification asks
 * (W3C Baggage octets: `,`, `;`, `=`, `%`, spaces, quotes, backslashes and non-ASCII encoded).
 */
export function encodeResourceAttributeValue(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `OTEL_RESOURCE_ATTRIBUTES` with the rollout's ids appended to the inherited value (any
 * `agentlightning.rollout_id` / `attempt_id` it held removed, so that no SDK can pick the wrong one).
 */
export function appendRolloutResourceAttributes(inherited: string | undefined, rolloutId: string, attemptId: string): string {
  const kept = (inherited ?? '')
    .split(',')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '' && ![AGL_ROLLOUT_ID, AGL_ATTEMPT_ID].includes(pair.split('=')[0]!.trim()));
  kept.push(`${AGL_ROLLOUT_ID}=${encodeResourceAttributeValue(rolloutId)}`, `${AGL_ATTEMPT_ID}=${encodeResourceAttributeValue(attemptId)}`);
  return kept.join(',');
}

/**
 * The environment of one rollout's command: the inherited one, plus the contract of
 * `docs/runner-protocol.md` — the OpenTelemetry variables that make any SDK export to the
 * collector with the rollout's ids, `OPENAI_BASE_URL` at the attempt's gateway, and the `AGL_*`
 * variables.
 */
export function commandEnvironment(input: CommandEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.base)) if (value !== undefined) env[name] = value;
  for (const name of SIGNAL_ENDPOINTS) delete env[name];
  env.OTEL_EXPORTER_OTLP_ENDPOINT = input.otlpEndpoint;
  env.OTEL_RESOURCE_ATTRIBUTES = appendRolloutResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES, input.rolloutId, input.attemptId);
  if (input.token) {
    // The collector wants the token on OTLP too; the header list's values are percent-encoded.
    const header = `Authorization=${encodeResourceAttributeValue(`Bearer ${input.token}`)}`;
    env.OTEL_EXPORTER_OTLP_HEADERS = env.OTEL_EXPORTER_OTLP_HEADERS ? `${env.OTEL_EXPORTER_OTLP_HEADERS},${header}` : header;
  }
  env.OPENAI_BASE_URL = gatewayBaseUrl(input.server, input.rolloutId, input.attemptId);
  // The gateway is behind the collector's token: the client's key must be it. Otherwise any key
  // does (the gateway adds the upstream's own); a placeholder keeps OpenAI clients from refusing to start.
  if (input.token) env.OPENAI_API_KEY = input.token;
  else env.OPENAI_API_KEY ||= GATEWAY_PLACEHOLDER_API_KEY;
  env.AGL_SERVER = input.server;
  if (input.token) env.AGL_TOKEN = input.token;
  env.AGL_ROLLOUT_ID = input.rolloutId;
  env.AGL_ATTEMPT_ID = input.attemptId;
  env.AGL_TASK = input.taskJson;
  env.AGL_RESOURCES = input.resourcesJson;
  if (input.prompt !== null) env.AGL_PROMPT = input.prompt;
  else delete env.AGL_PROMPT;
  if (input.promptTemplate !== null) env.AGL_PROMPT_TEMPLATE = input.promptTemplate;
  else delete env.AGL_PROMPT_TEMPLATE;
  return env;
}
