/*
 * A small, safe subset of Jinja2, enough for prompt templates. Nothing in a template can call a
 * function or reach outside the values given.
 *
 * Supported:
 *   {{ expr }}                       output (whitespace control with {{- and -}}, also on {% %} and {# #})
 *   {# comment #}
 *   {% if expr %} … {% elif expr %} … {% else %} … {% endif %}
 *   {% for name in expr %} … {% else %} … {% endfor %}   (loop.index, loop.index0, loop.first, loop.last, loop.length)
 * Expressions: names, `a.b`, `a[0]`, `a['key']`, string / number literals, true / false / none,
 *   `not`, `and`, `or`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, parentheses, and the filters
 *   upper, lower, trim, title, length, join(sep), default(value), tojson, string.
 * Undefined names: an error when output (like Jinja's StrictUndefined), unless a `default` filter
 *   applies; false in conditions; `length` of undefined is an error.
 * Anything else (set, macro, include, extends, block, raw, with, function calls, arithmetic,
 *   other filters) throws a PromptTemplateError with reason `unsupported`.
 *
 * Templates are parsed by `jinja-parser.ts` (tags and blocks) and `jinja-expression-parser.ts`
 * (expressions) into the tree of `jinja-syntax.ts`, which `jinja-renderer.ts` renders.
 */
import { parseJinja } from './jinja-parser.ts';
import { Scope, render } from './jinja-renderer.ts';

/** Renders a Jinja-subset template (see the file comment for what is supported). */
export function renderJinja(template: string, values: Record<string, unknown>): string {
  return render(parseJinja(template), new Scope(values));
}
