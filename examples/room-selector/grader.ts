import type OpenAI from 'openai';
import { ROOMS } from './room-data.ts';

/** The room an answer chooses: its `final_choice:` value, else the first room id (or "No Room") it names. */
export function readChoice(answer: string | null | undefined): string | null {
  if (!answer) return null;
  const keyed = /final_choice\s*:\s*(.+)/i.exec(answer);
  if (keyed) return keyed[1].trim();
  let first: { id: string; at: number } | null = null;
  for (const id of [...ROOMS.map((room) => room.id), 'No Room']) {
    const at = answer.search(new RegExp(`\\b${id}\\b`, 'i'));
    if (at >= 0 && (first === null || at < first.at)) first = { id, at };
  }
  return first?.id ?? null;
}

/** The tutorial's exact-match grader: 1 when the chosen room is the expected one, else 0. */
export function exactMatchGrade(answer: string | null | undefined, expected: string): number {
  return readChoice(answer)?.toLowerCase() === expected.toLowerCase() ? 1 : 0;
}

/**
 * The tutorial's optional LLM-judge grader: asks a model to score the answer against the expected
 * choice (0 to 1), with a JSON-schema answer.
 */
export async function llmJudgeGrade(openai: OpenAI, model: string, answer: string | null | undefined, expected: string): Promise<number> {
  const completion = await openai.chat.completions.create({
    model,
    temperature: 0,
    messages: [
      { role: 'system', content: 'You are a strict grader of meeting room choices. Score 1 when the task output chooses the expected room, else 0.' },
      { role: 'user', content: `Task output:\n${answer ?? ''}\n\nTask expected answer:\n${expected}\n\nGive a score from 0 to 1 and a short reason.` },
    ],
    response_format: {
      type: 'json_schema',
      json_schema: {
        name: 'judge',
        strict: true,
        schema: { type: 'object', properties: { reason: { type: 'string' }, score: { type: 'number' } }, required: ['reason', 'score'], additionalProperties: false },
      },
    },
  });
  const parsed = JSON.parse(completion.choices[0]?.message?.content ?? '{}') as { score?: unknown };
  const score = Number(parsed.score);
  return Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0;
}
