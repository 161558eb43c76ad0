import { PromptTemplateError } from './prompt-template-error.ts';
import { lookup, renderValue } from './render-value.ts';

/**
 * Formats `template` like Python's `template.format(**values)`: `{name}` is replaced by the value,
 * `{{` and `}}` are literal braces, `{name.key}` and `{name[0]}` / `{name[key]}` read inside a
 * value, `!s` is accepted. Not supported (a {@link PromptTemplateError} with reason
 * `unsupported`): positional fields (`{}`, `{0}`), the `!r` / `!a` conversions and format specs
 * (`{x:.2f}`). A single `{` or `}` is a syntax error, as in Python; a placeholder without a value is
 * a `missing_value` error. Values not named in the template are ignored.
 */
export function formatFString(template: string, values: Record<string, unknown>): string {
  let out = '';
  let index = 0;
  while (index < template.length) {
    const open = template.indexOf('{', index);
    const close = template.indexOf('}', index);
    if (open === -1 && close === -1) {
      out += template.slice(index);
      break;
    }
    if (close !== -1 && (open === -1 || close < open)) {
      if (template[close + 1] !== '}') throw new PromptTemplateError('syntax', `Single '}' encountered in format string at position ${close}`);
      out += template.slice(index, close + 1);
      index = close + 2;
      continue;
    }
    out += template.slice(index, open);
    if (template[open + 1] === '{') {
      out += '{';
      index = open + 2;
      continue;
    }
    const end = template.indexOf('}', open + 1);
    if (end === -1) throw new PromptTemplateError('syntax', `Single '{' encountered in format string at position ${open}`);
    const field = template.slice(open + 1, end);
    if (field.includes('{')) throw new PromptTemplateError('unsupported', `Nested fields are not supported: '{${field}}'`);
    out += renderValue(resolveField(field, values));
    index = end + 1;
  }
  return out;
}

/** The placeholder names of an f-string template (the first name of each field), in order, once each. */
export function fStringPlaceholders(template: string): string[] {
  const names = new Set<string>();
  const pattern = /\{\{|\}\}|\{([^{}]*)\}/g;
  for (const match of template.matchAll(pattern)) {
    if (match[1] !== undefined) {
      const name = /^[^.[!:]*/.exec(match[1])?.[0].trim() ?? '';
      if (name) names.add(name);
    }
  }
  return [...names];
}

function resolveField(field: string, values: Record<string, unknown>): unknown {
  let path = field;
  const conversion = /!([^:]*)(?::.*)?$/.exec(field);
  const specAt = field.indexOf(':', field.lastIndexOf(']') + 1);
  if (conversion) {
    if (conversion[1] !== 's') throw new PromptTemplateError('unsupported', `Conversion '!${conversion[1]}' is not supported in '{${field}}' (only '!s')`);
    path = field.slice(0, conversion.index);
  }
  if (specAt !== -1) {
    throw new PromptTemplateError('unsupported', `Format specs are not supported: '{${field}}'; format the value before passing it`);
  }
  const match = /^([^.[]*)(.*)$/s.exec(path)!;
  const name = match[1];
  if (name === '' || /^\d+$/.test(name)) {
    throw new PromptTemplateError('unsupported', `Positional fields are not supported: '{${field}}'; name the placeholder`);
  }
  const first = lookup(values, name);
  if (!first.found || first.value === undefined) throw new PromptTemplateError('missing_value', `Missing value for placeholder '${name}'`, name);
  let value = first.value;
  let rest = match[2];
  while (rest !== '') {
    let key: string | number;
    const attribute = /^\.([^.[]+)/.exec(rest);
    const item = /^\[([^\]]+)\]/.exec(rest);
    if (attribute) {
      key = attribute[1];
      rest = rest.slice(attribute[0].length);
    } else if (item) {
      key = /^\d+$/.test(item[1]) ? Number(item[1]) : item[1];
      rest = rest.slice(item[0].length);
    } else {
      throw new PromptTemplateError('syntax', `Invalid field '{${field}}'`);
    }
    const next = lookup(value, key);
    if (!next.found || next.value === undefined) throw new PromptTemplateError('missing_value', `Missing value for '${String(key)}' in placeholder '{${path}}'`, name);
    value = next.value;
  }
  return value;
}
