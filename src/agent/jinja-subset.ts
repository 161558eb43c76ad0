import { PromptTemplateError } from './prompt-template-error.ts';
import { lookup, renderValue } from './render-value.ts';

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
 */

const UNDEFINED: unique symbol = Symbol('undefined');
type Value = unknown;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'output'; expr: Expr; source: string }
  | { kind: 'if'; branches: { condition: Expr; body: Node[] }[]; otherwise: Node[] }
  | { kind: 'for'; variable: string; iterable: Expr; body: Node[]; otherwise: Node[] };

type Expr =
  | { kind: 'literal'; value: Value }
  | { kind: 'name'; name: string }
  | { kind: 'get'; target: Expr; key: Expr }
  | { kind: 'not'; operand: Expr }
  | { kind: 'binary'; operator: string; left: Expr; right: Expr }
  | { kind: 'filter'; name: string; target: Expr; args: Expr[] };

type Token = { type: 'text'; text: string } | { type: 'output' | 'statement'; body: string; position: number };

const FILTERS = new Set(['upper', 'lower', 'trim', 'title', 'length', 'join', 'default', 'tojson', 'string']);

/** Renders a Jinja-subset template (see the file comment for what is supported). */
export function renderJinja(template: string, values: Record<string, unknown>): string {
  return render(parseJinja(template), new Scope(values));
}

/** Parses a template, throwing a {@link PromptTemplateError} on anything outside the subset. */
export function parseJinja(template: string): Node[] {
  const tokens = tokenize(template);
  let position = 0;

  function parseBody(ends: readonly string[]): { nodes: Node[]; end: string | undefined; endArgs: string } {
    const nodes: Node[] = [];
    while (position < tokens.length) {
      const token = tokens[position++];
      if (token.type === 'text') {
        if (token.text) nodes.push({ kind: 'text', text: token.text });
        continue;
      }
      if (token.type === 'output') {
        nodes.push({ kind: 'output', expr: parseExpression(token.body), source: token.body.trim() });
        continue;
      }
      const [, keyword = '', args = ''] = /^\s*(\w*)\s*([\s\S]*?)\s*$/.exec(token.body) ?? [];
      if (ends.includes(keyword)) return { nodes, end: keyword, endArgs: args };
      if (keyword === 'if') {
        const branches = [{ condition: parseExpression(args), body: [] as Node[] }];
        let otherwise: Node[] = [];
        let inElse = false;
        for (;;) {
          const part = parseBody(inElse ? ['endif'] : ['elif', 'else', 'endif']);
          if (part.end === undefined) throw new PromptTemplateError('syntax', "Missing '{% endif %}'");
          if (inElse) otherwise = part.nodes;
          else branches[branches.length - 1].body = part.nodes;
          if (part.end === 'endif') break;
          if (part.end === 'elif') branches.push({ condition: parseExpression(part.endArgs), body: [] });
          else inElse = true;
        }
        nodes.push({ kind: 'if', branches, otherwise });
        continue;
      }
      if (keyword === 'for') {
        const match = /^([A-Za-z_]\w*)\s+in\s+([\s\S]+)$/.exec(args);
        if (!match) throw new PromptTemplateError('unsupported', `Unsupported for loop '{% for ${args} %}': use '{% for name in expr %}'`);
        const body = parseBody(['else', 'endfor']);
        if (body.end === undefined) throw new PromptTemplateError('syntax', "Missing '{% endfor %}'");
        let otherwise: Node[] = [];
        if (body.end === 'else') {
          const rest = parseBody(['endfor']);
          if (rest.end === undefined) throw new PromptTemplateError('syntax', "Missing '{% endfor %}'");
          otherwise = rest.nodes;
        }
        nodes.push({ kind: 'for', variable: match[1], iterable: parseExpression(match[2]), body: body.nodes, otherwise });
        continue;
      }
      if (['elif', 'else', 'endif', 'endfor'].includes(keyword)) {
        throw new PromptTemplateError('syntax', `Unexpected '{% ${keyword} %}'`);
      }
      throw new PromptTemplateError('unsupported', `Unsupported tag '{% ${keyword} %}': this engine supports if/elif/else/endif and for/else/endfor`);
    }
    return { nodes, end: undefined, endArgs: '' };
  }

  const result = parseBody([]);
  if (position < tokens.length) throw new PromptTemplateError('syntax', 'Unexpected tag');
  return result.nodes;
}

function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\{\{|\{%|\{#/g;
  let index = 0;
  let trimNext = false;
  for (;;) {
    pattern.lastIndex = index;
    const open = pattern.exec(template);
    let text = template.slice(index, open ? open.index : template.length);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (!open) {
      tokens.push({ type: 'text', text });
      break;
    }
    const closer = open[0] === '{{' ? '}}' : open[0] === '{%' ? '%}' : '#}';
    const end = template.indexOf(closer, open.index + 2);
    if (end === -1) throw new PromptTemplateError('syntax', `Unclosed '${open[0]}' at position ${open.index}: missing '${closer}'`);
    let body = template.slice(open.index + 2, end);
    if (body.startsWith('-')) {
      text = text.replace(/\s+$/, '');
      body = body.slice(1);
    }
    trimNext = body.endsWith('-');
    if (trimNext) body = body.slice(0, -1);
    tokens.push({ type: 'text', text });
    if (open[0] !== '{#') tokens.push({ type: open[0] === '{{' ? 'output' : 'statement', body, position: open.index });
    index = end + 2;
  }
  return tokens;
}

// ── expressions ──────────────────────────────────────────────────────────────────────────────────

type ExprToken = { type: 'name' | 'string' | 'number' | 'op'; text: string; value?: Value };

function lexExpression(source: string): ExprToken[] {
  const tokens: ExprToken[] = [];
  const pattern = /\s*(?:([A-Za-z_]\w*)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?)|(==|!=|<=|>=|[<>()[\].|,]))/y;
  let index = 0;
  while (index < source.length) {
    if (/^\s*$/.test(source.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(source);
    if (!match) throw new PromptTemplateError('unsupported', `Unsupported expression '${source.trim()}' (at '${source.slice(index).trim()}')`);
    index = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ type: 'name', text: match[1] });
    else if (match[2] !== undefined) tokens.push({ type: 'string', text: match[2], value: unquote(match[2]) });
    else if (match[3] !== undefined) tokens.push({ type: 'number', text: match[3], value: Number(match[3]) });
    else tokens.push({ type: 'op', text: match[4] });
  }
  return tokens;
}

function unquote(literal: string): string {
  return literal.slice(1, -1).replace(/\\(.)/g, (_all, char: string) => ({ n: '\n', t: '\t', r: '\r' })[char] ?? char);
}

function parseExpression(source: string): Expr {
  const tokens = lexExpression(source);
  if (tokens.length === 0) throw new PromptTemplateError('syntax', 'Empty expression');
  let position = 0;
  const peek = () => tokens[position];
  const isOp = (text: string) => peek()?.type === 'op' && peek().text === text;
  const isWord = (text: string) => peek()?.type === 'name' && peek().text === text;
  const expect = (text: string) => {
    if (!isOp(text)) throw new PromptTemplateError('syntax', `Expected '${text}' in '${source.trim()}'`);
    position++;
  };

  function parseOr(): Expr {
    let left = parseAnd();
    while (isWord('or')) {
      position++;
      left = { kind: 'binary', operator: 'or', left, right: parseAnd() };
    }
    return left;
  }
  function parseAnd(): Expr {
    let left = parseNot();
    while (isWord('and')) {
      position++;
      left = { kind: 'binary', operator: 'and', left, right: parseNot() };
    }
    return left;
  }
  function parseNot(): Expr {
    if (isWord('not')) {
      position++;
      return { kind: 'not', operand: parseNot() };
    }
    return parseComparison();
  }
  function parseComparison(): Expr {
    const left = parseFiltered();
    const token = peek();
    if (token && ((token.type === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(token.text)) || (token.type === 'name' && token.text === 'in'))) {
      position++;
      return { kind: 'binary', operator: token.text, left, right: parseFiltered() };
    }
    if (token?.type === 'name' && token.text === 'not' && tokens[position + 1]?.text === 'in') {
      position += 2;
      return { kind: 'not', operand: { kind: 'binary', operator: 'in', left, right: parseFiltered() } };
    }
    return left;
  }
  function parseFiltered(): Expr {
    let target = parsePostfix();
    while (isOp('|')) {
      position++;
      const name = peek();
      if (name?.type !== 'name') throw new PromptTemplateError('syntax', `Expected a filter name in '${source.trim()}'`);
      position++;
      if (!FILTERS.has(name.text)) {
        throw new PromptTemplateError('unsupported', `Unsupported filter '${name.text}'; supported: ${[...FILTERS].join(', ')}`);
      }
      const args: Expr[] = [];
      if (isOp('(')) {
        position++;
        while (!isOp(')')) {
          args.push(parseOr());
          if (isOp(',')) position++;
          else if (!isOp(')')) throw new PromptTemplateError('syntax', `Expected ',' or ')' in '${source.trim()}'`);
        }
        position++;
      }
      target = { kind: 'filter', name: name.text, target, args };
    }
    return target;
  }
  function parsePostfix(): Expr {
    let target = parsePrimary();
    for (;;) {
      if (isOp('.')) {
        position++;
        const name = peek();
        if (name?.type !== 'name' && name?.type !== 'number') throw new PromptTemplateError('syntax', `Expected a name after '.' in '${source.trim()}'`);
        position++;
        target = { kind: 'get', target, key: { kind: 'literal', value: name.type === 'number' ? Number(name.text) : name.text } };
      } else if (isOp('[')) {
        position++;
        const key = parseOr();
        expect(']');
        target = { kind: 'get', target, key };
      } else if (isOp('(')) {
        throw new PromptTemplateError('unsupported', `Function and method calls are not supported: '${source.trim()}'`);
      } else {
        return target;
      }
    }
  }
  function parsePrimary(): Expr {
    const token = peek();
    if (!token) throw new PromptTemplateError('syntax', `Unexpected end of expression '${source.trim()}'`);
    position++;
    if (token.type === 'string' || token.type === 'number') return { kind: 'literal', value: token.value };
    if (token.type === 'name') {
      switch (token.text) {
        case 'true':
        case 'True':
          return { kind: 'literal', value: true };
        case 'false':
        case 'False':
          return { kind: 'literal', value: false };
        case 'none':
        case 'None':
          return { kind: 'literal', value: null };
        default:
          return { kind: 'name', name: token.text };
      }
    }
    if (token.text === '(') {
      const inner = parseOr();
      expect(')');
      return inner;
    }
    throw new PromptTemplateError('unsupported', `Unsupported expression '${source.trim()}' (at '${token.text}')`);
  }

  const expr = parseOr();
  if (position < tokens.length) throw new PromptTemplateError('unsupported', `Unsupported expression '${source.trim()}' (at '${tokens[position].text}')`);
  return expr;
}

// ── evaluation ───────────────────────────────────────────────────────────────────────────────────

class Scope {
  readonly #values: Record<string, unknown>;
  readonly #parent: Scope | undefined;
  constructor(values: Record<string, unknown>, parent?: Scope) {
    this.#values = values;
    this.#parent = parent;
  }
  get(name: string): Value | typeof UNDEFINED {
    const found = lookup(this.#values, name);
    if (found.found && found.value !== undefined) return found.value;
    return this.#parent ? this.#parent.get(name) : UNDEFINED;
  }
}

function render(nodes: Node[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out += node.text;
        break;
      case 'output': {
        const value = evaluate(node.expr, scope);
        if (value === UNDEFINED) throw new PromptTemplateError('missing_value', `Missing value for '{{ ${node.source} }}'`, rootName(node.expr));
        out += renderValue(value);
        break;
      }
      case 'if': {
        const branch = node.branches.find((candidate) => truthy(evaluate(candidate.condition, scope)));
        out += render(branch ? branch.body : node.otherwise, scope);
        break;
      }
      case 'for': {
        const iterable = evaluate(node.iterable, scope);
        const items = iterable === UNDEFINED || iterable === null ? [] : toItems(iterable);
        if (items.length === 0) {
          out += render(node.otherwise, scope);
          break;
        }
        items.forEach((item, index) => {
          const loop = { index: index + 1, index0: index, first: index === 0, last: index === items.length - 1, length: items.length };
          out += render(node.body, new Scope({ [node.variable]: item, loop }, scope));
        });
        break;
      }
    }
  }
  return out;
}

function rootName(expr: Expr): string | undefined {
  if (expr.kind === 'name') return expr.name;
  if (expr.kind === 'get' || expr.kind === 'filter') return rootName(expr.target);
  return undefined;
}

function toItems(value: Value): Value[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (value instanceof Map) return [...value.keys()];
  if (typeof value === 'object' && value !== null) return Object.keys(value);
  throw new PromptTemplateError('syntax', `Cannot loop over ${renderValue(value)}`);
}

function truthy(value: Value): boolean {
  if (value === UNDEFINED || value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  if (typeof value === 'object') return Object.keys(value as object).length > 0;
  return true;
}

function evaluate(expr: Expr, scope: Scope): Value | typeof UNDEFINED {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'name':
      return scope.get(expr.name);
    case 'get': {
      const target = evaluate(expr.target, scope);
      const key = evaluate(expr.key, scope);
      if (target === UNDEFINED || (typeof key !== 'string' && typeof key !== 'number')) return UNDEFINED;
      const found = lookup(target, key);
      return found.found && found.value !== undefined ? found.value : UNDEFINED;
    }
    case 'not':
      return !truthy(evaluate(expr.operand, scope));
    case 'binary': {
      const left = evaluate(expr.left, scope);
      if (expr.operator === 'and') return truthy(left) ? evaluate(expr.right, scope) : left;
      if (expr.operator === 'or') return truthy(left) ? left : evaluate(expr.right, scope);
      const right = evaluate(expr.right, scope);
      const a = left === UNDEFINED ? undefined : left;
      const b = right === UNDEFINED ? undefined : right;
      switch (expr.operator) {
        case '==':
          return a === b;
        case '!=':
          return a !== b;
        case 'in':
          if (typeof b === 'string') return typeof a === 'string' && b.includes(a);
          if (Array.isArray(b)) return b.includes(a);
          if (typeof b === 'object' && b !== null) return lookup(b, a as string).found;
          return false;
        default:
          if (!(typeof a === 'number' && typeof b === 'number') && !(typeof a === 'string' && typeof b === 'string')) {
            throw new PromptTemplateError('syntax', `Cannot compare ${renderValue(a)} ${expr.operator} ${renderValue(b)}`);
          }
          return expr.operator === '<' ? a < b : expr.operator === '<=' ? a <= b : expr.operator === '>' ? a > b : a >= b;
      }
    }
    case 'filter':
      return applyFilter(expr, scope);
  }
}

function applyFilter(expr: Extract<Expr, { kind: 'filter' }>, scope: Scope): Value {
  const value = evaluate(expr.target, scope);
  const args = expr.args.map((arg) => evaluate(arg, scope));
  if (expr.name === 'default') return value === UNDEFINED ? (args[0] === UNDEFINED ? '' : (args[0] ?? '')) : value;
  if (value === UNDEFINED) {
    throw new PromptTemplateError('missing_value', `Missing value for '${rootName(expr.target) ?? 'expression'}' (filter '${expr.name}')`, rootName(expr.target));
  }
  switch (expr.name) {
    case 'upper':
      return renderValue(value).toUpperCase();
    case 'lower':
      return renderValue(value).toLowerCase();
    case 'trim':
      return renderValue(value).trim();
    case 'title':
      return renderValue(value).replace(/\w\S*/g, (word) => word[0].toUpperCase() + word.slice(1).toLowerCase());
    case 'string':
      return renderValue(value);
    case 'tojson':
      return JSON.stringify(value) ?? 'null';
    case 'length':
      if (typeof value === 'string' || Array.isArray(value)) return value.length;
      if (value instanceof Map) return value.size;
      if (typeof value === 'object' && value !== null) return Object.keys(value).length;
      throw new PromptTemplateError('syntax', `'length' of ${renderValue(value)}`);
    case 'join': {
      const separator = args[0] === undefined || args[0] === UNDEFINED ? '' : renderValue(args[0]);
      return toItems(value).map(renderValue).join(separator);
    }
    default:
      throw new PromptTemplateError('unsupported', `Unsupported filter '${expr.name}'`);
  }
}
