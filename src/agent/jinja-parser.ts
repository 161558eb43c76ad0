/** Template text → the syntax tree of a Jinja-subset template: tags, blocks and text. */
import { parseExpression } from './jinja-expression-parser.ts';
import type { Node } from './jinja-syntax.ts';
import { PromptTemplateError } from './prompt-template-error.ts';

type Token = { type: 'text'; text: string } | { type: 'output' | 'statement'; body: string; position: number };

/**
 * Parses a template, throwing a {@link PromptTemplateError} on anything outside the subset (see
 * `jinja-subset.ts`).
 */
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
