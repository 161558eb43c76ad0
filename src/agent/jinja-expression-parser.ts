/**
 * The expressions of a Jinja-subset template (`{{ expr }}`, `{% if expr %}`, `{% for x in expr %}`)
 * → {@link Expr} trees: a lexer and a recursive-descent parser (`or` < `and` < `not` < comparisons
 * < filters < `.`/`[]` < literals, names and parentheses).
 */
import type { Expr, Value } from './jinja-syntax.ts';
import { PromptTemplateError } from './prompt-template-error.ts';

const FILTERS = new Set(['upper', 'lower', 'trim', 'title', 'length', 'join', 'default', 'tojson', 'string']);

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

export function parseExpression(source: string): Expr {
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
