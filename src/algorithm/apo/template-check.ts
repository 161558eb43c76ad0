import { PromptTemplate, PromptTemplateError, fStringPlaceholders, parseJinja } from '../../agent/index.ts';
import type { PromptTemplateEngine } from '../../agent/index.ts';

/** Why an edited template was refused, or `ok`. */
export type TemplateCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether `edited` can replace `original`: it must parse with the engine (balanced braces, no
 * unsupported field) and use exactly the same placeholders — none lost, none invented.
 */
export function checkTemplateEdit(original: string, edited: string, engine: PromptTemplateEngine): TemplateCheck {
  if (edited.trim() === '') return { ok: false, reason: 'empty template' };
  const before = placeholders(original, engine);
  let after: string[];
  try {
    after = placeholders(edited, engine);
    // Formatting with a value for every placeholder finds single braces and bad fields.
    if (engine === 'f-string') new PromptTemplate(edited, engine).format(Object.fromEntries(after.map((name) => [name, 'x'])));
    if (engine === 'jinja') parseJinja(edited);
  } catch (error) {
    // A value the dummy cannot provide (`{a.b}` on a string) is not the edit's fault.
    if (error instanceof PromptTemplateError && error.reason === 'missing_value') return compare(before, placeholders(edited, engine));
    return { ok: false, reason: `does not parse: ${(error as Error).message}` };
  }
  return compare(before, after);
}

function compare(before: string[], after: string[]): TemplateCheck {
  const lost = before.filter((name) => !after.includes(name));
  const invented = after.filter((name) => !before.includes(name));
  if (lost.length > 0) return { ok: false, reason: `placeholder(s) lost: ${lost.map((name) => `{${name}}`).join(', ')}` };
  if (invented.length > 0) return { ok: false, reason: `placeholder(s) invented: ${invented.map((name) => `{${name}}`).join(', ')}` };
  return { ok: true };
}

function placeholders(template: string, engine: PromptTemplateEngine): string[] {
  if (engine === 'jinja') {
    const names = new Set<string>();
    for (const match of template.matchAll(/\{\{-?\s*([A-Za-z_]\w*)/g)) names.add(match[1]);
    return [...names];
  }
  return fStringPlaceholders(template);
}
