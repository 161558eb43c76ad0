import type { Resource } from '../store/index.ts';
import { formatFString } from './f-string.ts';
import { renderJinja } from './jinja-subset.ts';
import { PromptTemplateError } from './prompt-template-error.ts';

/** How a template's placeholders are written: Python `str.format` (`f-string`), Jinja, or POML. */
export type PromptTemplateEngine = 'f-string' | 'jinja' | 'poml';

const ENGINES: readonly PromptTemplateEngine[] = ['f-string', 'jinja', 'poml'];

/** The store's JSON form of a prompt template (`PromptTemplate` in the store contract). */
export interface PromptTemplateResource extends Resource {
  resource_type: 'prompt_template';
  template: string;
  engine: PromptTemplateEngine;
}

/**
 * A prompt template resource: the text that prompt optimization rewrites, and the engine that
 * fills it in.
 *
 * - `f-string`: Python's `str.format` with named fields — `{name}`, `{{` / `}}` for literal braces,
 *   `{item.key}` / `{items[0]}`. No positional fields, `!r`/`!a` or format specs.
 * - `jinja`: a safe subset — `{{ expr }}`, `{% if %}/{% elif %}/{% else %}/{% endif %}`,
 *   `{% for x in xs %}…{% endfor %}` with `loop.*`, comments, `-` whitespace control, comparisons,
 *   `and`/`or`/`not`/`in`, and the filters upper, lower, trim, title, length, join, default, tojson,
 *   string. A name that is output but not given is an error (Jinja's `StrictUndefined`).
 * - `poml`: kept and round-tripped through the store, but {@link format} throws (not supported here).
 *
 * Values are written as `String(value)`, objects and arrays as JSON. Everything unsupported throws
 * a {@link PromptTemplateError}.
 */
export class PromptTemplate {
  /** The store's resource type. */
  static readonly resourceType = 'prompt_template';
  /** The template text. */
  readonly template: string;
  /** The engine that fills it in. */
  readonly engine: PromptTemplateEngine;

  constructor(template: string, engine: PromptTemplateEngine = 'f-string') {
    if (typeof template !== 'string') throw new TypeError(`Expected \`template\` to be a string, got \`${typeof template}\``);
    if (!ENGINES.includes(engine)) throw new TypeError(`Expected \`engine\` to be one of ${ENGINES.join(', ')}, got \`${String(engine)}\``);
    this.template = template;
    this.engine = engine;
  }

  /**
   * The template filled in with `values` (any object: a task's interface or class instance as
   * well as a plain record); names not in the template are ignored.
   */
  format(values: object = {}): string {
    if (typeof values !== 'object' || values === null) {
      throw new TypeError(`Expected the values to format the prompt template with to be an object, got ${values === null ? 'null' : typeof values}`);
    }
    const fields = values as Record<string, unknown>;
    switch (this.engine) {
      case 'f-string':
        return formatFString(this.template, fields);
      case 'jinja':
        return renderJinja(this.template, fields);
      default:
        throw new PromptTemplateError('unsupported', `The '${this.engine}' engine is not supported by format(); use 'f-string' or 'jinja'`);
    }
  }

  /** A template with another text and the same engine (what an optimizer proposes). */
  withTemplate(template: string): PromptTemplate {
    return new PromptTemplate(template, this.engine);
  }

  /** The store's JSON form: `{ resource_type: 'prompt_template', template, engine }`. */
  toResource(): PromptTemplateResource {
    return { resource_type: 'prompt_template', template: this.template, engine: this.engine };
  }

  /** Same as {@link toResource}, so that `JSON.stringify` writes the store's form. */
  toJSON(): PromptTemplateResource {
    return this.toResource();
  }

  /** Reads the store's JSON form; throws a `TypeError` on anything else. */
  static fromResource(resource: Resource): PromptTemplate {
    if (resource?.resource_type !== 'prompt_template') {
      throw new TypeError(`Expected a \`prompt_template\` resource, got \`${String(resource?.resource_type)}\``);
    }
    if (typeof resource.template !== 'string') throw new TypeError('Expected the prompt template resource to have a string `template`');
    return new PromptTemplate(resource.template, (resource.engine ?? 'f-string') as PromptTemplateEngine);
  }
}
