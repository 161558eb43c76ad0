/**
 * Renders a parsed Jinja-subset template: outputs, `if` / `for` blocks with `loop.*`, expression
 * evaluation with Jinja's truthiness, and the filters. Undefined names are tracked apart from
 * `null` so that outputting one is an error (like Jinja's StrictUndefined) unless `default` applies.
 */
import type { Expr, Node, Value } from './jinja-syntax.ts';
import { PromptTemplateError } from './prompt-template-error.ts';
import { lookup, renderValue } from './render-value.ts';

const UNDEFINED: unique symbol = Symbol('undefined');

export class Scope {
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

export function render(nodes: Node[], scope: Scope): string {
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
