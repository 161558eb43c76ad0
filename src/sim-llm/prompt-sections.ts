import { extractJsonValues } from './experiments.ts';
import { isObject } from './chat-request.ts';

/** The sections an optimizer request carries. */
export type SectionKind = 'prompt' | 'critique' | 'experiments';

const CAPTIONS: Record<SectionKind, RegExp> = {
  prompt: /^(?:the\s+)?(?:current|original|existing|old|seed|parent|base(?:line)?)?\s*(?:prompt[\s_-]*template|prompt|template)$/i,
  critique: /^(?:the\s+)?(?:critique|feedback|textual[\s_-]+gradient|gradient|review|analysis|suggested (?:changes|edits)|suggestions?)$/i,
  experiments: /^(?:the\s+)?(?:experiments?|rollouts?|examples?|results?|trajectories|traces?|evaluations?)(?:\s+results?)?$/i,
};

const XML_TAGS: Record<SectionKind, string[]> = {
  prompt: ['prompt_template', 'current_prompt', 'prompt', 'template'],
  critique: ['critique', 'feedback', 'gradient', 'textual_gradient'],
  experiments: ['experiments', 'rollouts', 'examples'],
};

const JSON_KEYS: Record<SectionKind, string[]> = {
  prompt: ['prompt_template', 'current_prompt', 'prompt', 'template'],
  critique: ['critique', 'feedback', 'gradient'],
  experiments: ['experiments', 'rollouts'],
};

/**
 * Finds a section of an optimizer request by its caption, in any of the usual renderings: XML-ish
 * tags (`<prompt_template>…</prompt_template>`), a JSON object with that key, or a caption line
 * (`# Current Prompt Template`, `### PROMPT`, `**Critique:**`, `Prompt template:`) followed by the
 * section up to the next caption or heading. Code fences around the section are removed.
 */
export function findSection(text: string, kind: SectionKind): string | undefined {
  for (const tag of XML_TAGS[kind]) {
    const match = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'i').exec(text);
    if (match && match[1].trim()) return clean(match[1]);
  }
  for (const value of extractJsonValues(text)) {
    if (!isObject(value)) continue;
    for (const key of JSON_KEYS[kind]) {
      const field = value[key];
      if (typeof field === 'string' && field.trim()) return clean(field);
      if (isObject(field) && typeof field.template === 'string') return clean(field.template);
    }
  }
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const caption = captionOf(lines[index]);
    if (!caption || !CAPTIONS[kind].test(caption.name)) continue;
    const body: string[] = caption.rest ? [caption.rest] : [];
    let inFence = false;
    for (let next = index + 1; next < lines.length; next++) {
      const line = lines[next];
      if (/^\s*```/.test(line)) inFence = !inFence;
      if (!inFence && isSectionBoundary(line)) break;
      body.push(line);
    }
    const section = clean(body.join('\n'));
    if (section) return section;
  }
  return undefined;
}

/** A caption line: a markdown heading, a bold line, or `Name:` alone or followed by text. */
function captionOf(line: string): { name: string; rest: string } | undefined {
  const heading = /^\s*#{1,6}\s+(.+?)\s*:?\s*#*\s*$/.exec(line);
  if (heading) return { name: stripMarks(heading[1]), rest: '' };
  const bold = /^\s*\*\*(.+?)\*\*\s*:?\s*(.*)$/.exec(line);
  if (bold) return { name: stripMarks(bold[1]), rest: bold[2].trim() };
  const colon = /^\s*([A-Za-z][A-Za-z _-]{1,40}?)\s*:\s*(.*)$/.exec(line);
  if (colon) return { name: colon[1].trim(), rest: colon[2].trim() };
  return undefined;
}

function isSectionBoundary(line: string): boolean {
  const caption = captionOf(line);
  if (!caption) return false;
  if (caption.rest) return CAPTIONS.critique.test(caption.name) || CAPTIONS.experiments.test(caption.name);
  return Object.values(CAPTIONS).some((pattern) => pattern.test(caption.name)) || /^output[\s_-]*format$/i.test(caption.name);
}

function stripMarks(text: string): string {
  return text.replace(/[*_`]/g, '').replace(/:$/, '').trim();
}

function clean(text: string): string {
  let result = text.trim();
  const fenced = /^```[\w-]*\n([\s\S]*?)\n```$/.exec(result);
  if (fenced) result = fenced[1].trim();
  if (result.length > 1 && /^(["'])[\s\S]*\1$/.test(result) && !/\n/.test(result.slice(1, -1)) && result.length < 2000) {
    // A one-line section quoted as a whole.
    result = result.slice(1, -1);
  }
  return result;
}
