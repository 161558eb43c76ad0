import { allText } from './behaviour.ts';
import type { Behaviour } from './behaviour.ts';
import { isObject } from './chat-request.ts';

/**
 * An LLM-judge grader, as the tutorial's optional grader asks ("a strict grader … Task output: …
 * Task expected answer: … score 0-1"): the score is 1 when the output's `final_choice:` (or, without
 * one, the text) names the expected answer as a whole word, else 0. With a json_schema response
 * format it fills the schema's number field with the score and its string field with the reason.
 */
export const judgeBehaviour: Behaviour = {
  name: 'judge',
  respond(context) {
    const text = allText(context.request.messages);
    if (!/\b(?:grader|judge|grade|score)\b/i.test(text)) return undefined;
    const match = /\boutput\b[^\n:]*:\s*([\s\S]*?)\n[^\n]*\bexpected\b[^\n:]*:\s*([\s\S]*?)(?:\n\s*\n|$)/i.exec(text);
    if (!match) return undefined;
    const output = match[1].trim();
    const expected = match[2].trim().split('\n')[0].trim();
    if (!expected) return undefined;
    const keyed = /\bfinal[_ ]choice\s*[:=]\s*(.+)/i.exec(output);
    const matches = keyed
      ? keyed[1].trim().replace(/^["'`*<]+|["'`*>.]+$/g, '').toLowerCase() === expected.toLowerCase()
      : new RegExp(`\\b${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').test(output);
    const score = matches ? 1 : 0;
    const reason = matches ? `The output names the expected answer ${expected}.` : `The output does not name the expected answer ${expected}.`;
    const format = context.request.responseFormat;
    if (format.type === 'json_schema' && isObject(format.schema.properties)) {
      const result: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(format.schema.properties)) {
        const type = isObject(property) ? property.type : undefined;
        result[name] = type === 'number' || type === 'integer' ? score : type === 'boolean' ? matches : reason;
      }
      return { content: JSON.stringify(result) };
    }
    if (format.type === 'json_object') return { content: JSON.stringify({ reason, score }) };
    return { content: `score: ${score}\nreason: ${reason}` };
  },
};
