import { NotFoundError } from '../errors/index.ts';
import type { NamedResources, Resource } from '../store/index.ts';
import { LLM } from './llm.ts';
import { PromptTemplate } from './prompt-template.ts';
import type { PromptTemplateEngine, PromptTemplateResource } from './prompt-template.ts';

/** A resource as the agent sees it: a {@link PromptTemplate}, an {@link LLM}, or other store JSON as it is. */
export type AgentResource = PromptTemplate | LLM | Resource;

/** Resources by name, as classes or as the store's JSON (either is accepted where resources are given). */
export type ResourcesInput = Record<string, AgentResource>;

/** The store's resource JSON of a resource (classes become their JSON form; JSON stays). */
export function toResourceJson(resource: AgentResource): Resource {
  return resource instanceof PromptTemplate || resource instanceof LLM ? resource.toResource() : resource;
}

/**
 * `resource` when it is one (a class, or store JSON with a `resource_type`); else a `TypeError`
 * naming it, so that JavaScript callers (TypeScript refuses these) hear of, say, a prompt's text
 * given where a {@link PromptTemplate} belongs when they give it, not when a rollout runs.
 */
function checkResource(name: string, resource: unknown): AgentResource {
  if (resource instanceof PromptTemplate || resource instanceof LLM) return resource;
  if (typeof resource === 'object' && resource !== null && typeof (resource as Resource).resource_type === 'string') return resource as Resource;
  const got = resource === null ? 'null' : typeof resource === 'object' ? 'an object without a string `resource_type`' : `a ${typeof resource}`;
  const hint = typeof resource === 'string' ? ' (give a prompt as `new PromptTemplate(text)`)' : '';
  throw new TypeError(`Expected resource \`${name}\` to be a PromptTemplate, an LLM or a resource object with a \`resource_type\`, got ${got}${hint}`);
}

/** Named resources in the store's JSON form, e.g. for `StoreClient.addResources`. */
export function toNamedResources(resources: ResourcesInput): NamedResources {
  return Object.fromEntries(Object.entries(resources).map(([name, resource]) => [name, toResourceJson(checkResource(name, resource))]));
}

/** A resource from the store's JSON: `prompt_template` → {@link PromptTemplate}, `llm` / `proxy_llm` → {@link LLM}, others as they are. */
export function fromResourceJson(resource: AgentResource): AgentResource {
  if (resource instanceof PromptTemplate || resource instanceof LLM) return resource;
  switch (resource.resource_type) {
    case 'prompt_template':
      return PromptTemplate.fromResource(resource);
    case 'llm':
    case 'proxy_llm':
      return LLM.fromResource(resource);
    default:
      return resource;
  }
}

/**
 * The resources a rollout runs with, as the agent gets them: by name ({@link get}), or the ones an
 * agent usually wants ({@link prompt}, {@link llm}).
 */
export class AgentResources {
  /** Every resource by name (prompt templates and LLMs as classes). */
  readonly named: Readonly<Record<string, AgentResource>>;
  /** The store's id of this set of resources, when it came from the store. */
  readonly resourcesId: string | null;

  constructor(resources: ResourcesInput = {}, resourcesId: string | null = null) {
    this.named = Object.freeze(Object.fromEntries(Object.entries(resources).map(([name, resource]) => [name, fromResourceJson(checkResource(name, resource))])));
    this.resourcesId = resourcesId;
  }

  /** Resources from the store's JSON (or classes), or the same object when it already is one. */
  static from(resources: AgentResources | ResourcesInput | null | undefined, resourcesId: string | null = null): AgentResources {
    return resources instanceof AgentResources ? resources : new AgentResources(resources ?? {}, resourcesId);
  }

  /** The resource called `name`; throws a `NotFoundError` when there is none. */
  get(name: string): AgentResource {
    const resource = this.named[name];
    if (!resource) throw new NotFoundError(`No resource named \`${name}\`; the rollout's resources are: ${this.#names()}`);
    return resource;
  }

  /** The prompt template called `name`; throws when there is none or it is another type. */
  getPromptTemplate(name: string): PromptTemplate {
    const resource = this.get(name);
    if (!(resource instanceof PromptTemplate)) throw new TypeError(`Resource \`${name}\` is not a prompt template`);
    return resource;
  }

  /** The LLM called `name`; throws when there is none or it is another type. */
  getLLM(name: string): LLM {
    const resource = this.get(name);
    if (!(resource instanceof LLM)) throw new TypeError(`Resource \`${name}\` is not an LLM`);
    return resource;
  }

  /**
   * The rollout's prompt template: the one named `prompt_template` (Agent Lightning's convention),
   * else the only prompt template. Throws a `NotFoundError` when there is none or several.
   */
  get prompt(): PromptTemplate {
    return this.#pick(PromptTemplate, ['prompt_template'], 'prompt template') as PromptTemplate;
  }

  /** The rollout's LLM: the one named `main_llm` or `llm`, else the only LLM. Throws when there is none or several. */
  get llm(): LLM {
    return this.#pick(LLM, ['main_llm', 'llm'], 'LLM') as LLM;
  }

  // Agent Lightning's form `rollout(async (task, prompt: PromptTemplate) => …)` (DESIGN.md): the
  // resources a rollout gets stand for their prompt template too, so a function may take them as one.

  /** The text of {@link prompt}. */
  get template(): string {
    return this.prompt.template;
  }

  /** The engine of {@link prompt}. */
  get engine(): PromptTemplateEngine {
    return this.prompt.engine;
  }

  /** {@link prompt} filled in with `values`. */
  format(values: object = {}): string {
    return this.prompt.format(values);
  }

  /** {@link prompt} with another text. */
  withTemplate(template: string): PromptTemplate {
    return this.prompt.withTemplate(template);
  }

  /** The store's form of {@link prompt}. */
  toResource(): PromptTemplateResource {
    return this.prompt.toResource();
  }

  /** The store's form of {@link prompt} (what `JSON.stringify` writes for these resources). */
  toJSON(): PromptTemplateResource {
    return this.prompt.toJSON();
  }

  #pick(type: typeof PromptTemplate | typeof LLM, preferred: string[], label: string): AgentResource {
    for (const name of preferred) {
      const resource = this.named[name];
      if (resource instanceof type) return resource;
    }
    const matches = Object.values(this.named).filter((resource) => resource instanceof type);
    if (matches.length === 1) return matches[0];
    if (matches.length === 0) throw new NotFoundError(`The rollout's resources hold no ${label} (resources: ${this.#names()})`);
    throw new NotFoundError(`The rollout's resources hold several ${label}s and none is named \`${preferred[0]}\`; use get(name) (resources: ${this.#names()})`);
  }

  #names(): string {
    const names = Object.keys(this.named);
    return names.length === 0 ? 'none' : names.join(', ');
  }

  /** The store's JSON form of every resource. */
  toNamedResources(): NamedResources {
    return toNamedResources(this.named);
  }
}
