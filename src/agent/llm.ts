import type { Resource } from '../store/index.ts';

/** The store's JSON form of an LLM resource (`LLM` / `ProxyLLM` in the store contract). */
export interface LLMResource extends Resource {
  resource_type: 'llm' | 'proxy_llm';
  endpoint: string;
  model: string;
  api_key?: string | null;
  sampling_parameters?: Record<string, unknown>;
}

/** Options of {@link LLM}. */
export interface LLMOptions {
  /** The OpenAI-compatible base URL, e.g. `http://127.0.0.1:8000/v1`. */
  endpoint: string;
  /** The model name sent with each request. */
  model: string;
  /** The API key, if the endpoint needs one. @default null */
  apiKey?: string | null;
  /** Sampling parameters (`temperature`, `top_p`, `max_tokens`…), passed as they are. @default {} */
  samplingParameters?: Record<string, unknown>;
  /**
   * `llm`, or `proxy_llm` for an endpoint behind Agent Lightning's LLM proxy (the rollout and
   * attempt go into the path, see {@link LLM.baseUrl}).
   * @default 'llm'
   */
  resourceType?: 'llm' | 'proxy_llm';
}

/** An LLM endpoint resource: where the agent's model is and how to sample from it. */
export class LLM {
  readonly endpoint: string;
  readonly model: string;
  readonly apiKey: string | null;
  readonly samplingParameters: Readonly<Record<string, unknown>>;
  readonly resourceType: 'llm' | 'proxy_llm';

  constructor(options: LLMOptions) {
    if (typeof options?.endpoint !== 'string' || options.endpoint === '') throw new TypeError('Expected `endpoint` to be a non-empty string');
    if (typeof options.model !== 'string' || options.model === '') throw new TypeError('Expected `model` to be a non-empty string');
    const resourceType = options.resourceType ?? 'llm';
    if (resourceType !== 'llm' && resourceType !== 'proxy_llm') throw new TypeError(`Expected \`resourceType\` to be \`llm\` or \`proxy_llm\`, got \`${String(resourceType)}\``);
    this.endpoint = options.endpoint;
    this.model = options.model;
    this.apiKey = options.apiKey ?? null;
    this.samplingParameters = { ...options.samplingParameters };
    this.resourceType = resourceType;
  }

  /**
   * The base URL to call for a rollout: the endpoint, or for a `proxy_llm` the endpoint with
   * `/rollout/<id>/attempt/<id>` inserted before a trailing `/v1` (as Agent Lightning's proxy expects).
   */
  baseUrl(rolloutId?: string, attemptId?: string): string {
    if (this.resourceType !== 'proxy_llm' || rolloutId === undefined || attemptId === undefined) return this.endpoint;
    const trimmed = this.endpoint.replace(/\/+$/, '');
    const routing = `/rollout/${encodeURIComponent(rolloutId)}/attempt/${encodeURIComponent(attemptId)}`;
    return trimmed.endsWith('/v1') ? `${trimmed.slice(0, -3)}${routing}/v1` : `${trimmed}${routing}`;
  }

  /** The store's JSON form: `{ resource_type, endpoint, model, api_key, sampling_parameters }`. */
  toResource(): LLMResource {
    return {
      resource_type: this.resourceType,
      endpoint: this.endpoint,
      model: this.model,
      api_key: this.apiKey,
      sampling_parameters: { ...this.samplingParameters },
    };
  }

  /** Same as {@link toResource}, so that `JSON.stringify` writes the store's form. */
  toJSON(): LLMResource {
    return this.toResource();
  }

  /** Reads the store's JSON form (`llm` or `proxy_llm`); throws a `TypeError` on anything else. */
  static fromResource(resource: Resource): LLM {
    const type = resource?.resource_type;
    if (type !== 'llm' && type !== 'proxy_llm') throw new TypeError(`Expected an \`llm\` or \`proxy_llm\` resource, got \`${String(type)}\``);
    const samplingParameters = resource.sampling_parameters;
    return new LLM({
      endpoint: resource.endpoint as string,
      model: resource.model as string,
      apiKey: (resource.api_key as string | null | undefined) ?? null,
      samplingParameters: typeof samplingParameters === 'object' && samplingParameters !== null ? (samplingParameters as Record<string, unknown>) : {},
      resourceType: type,
    });
  }
}
