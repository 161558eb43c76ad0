/**
 * Concept-level recognition of what a prompt says, tolerant of paraphrase: a concept is a set of
 * phrasings, each a handful of cues that must all occur in the same clause (in any order), none of
 * its exclusions may; cues are word stems, so inflections count ("reserved", "reservations").
 */

/** One way of saying a concept: every cue in `all` occurs in the clause and no cue in `none` does. */
export interface Phrasing {
  all: RegExp[];
  none?: RegExp[];
}

/** A concept: any of its phrasings. */
export type Concept = readonly Phrasing[];

/** A phrasing made of cues (and optional exclusions). */
export function phrasing(all: RegExp[], none: RegExp[] = []): Phrasing {
  return { all, none };
}

/** A clause of the prompt and where it starts. */
export interface Clause {
  text: string;
  at: number;
}

/** Words that say how much, not which way ("at least 12"); removed before matching so "least" is not read as a preference. */
const NEUTRAL = /\bat least\b|\bat the least\b/gi;

/**
 * Splits text into sentences (`.`, `!`, `?`, `;`, line breaks — but not the dot of a decimal or an
 * abbreviation such as "e.g."), or, with `fine`, also at commas, colons and "then"/"next", so that a
 * list of preferences yields one clause per preference.
 */
export function clauses(text: string, fine = false): Clause[] {
  const boundary = fine
    ? /(?<!\b(?:e\.g|i\.e|etc))[.!?;](?!\d)|\n|,|:(?!\s*[<[])|\(|\)|\b(?:then|next|after that|afterwards|finally)\b/gi
    : /(?<!\b(?:e\.g|i\.e|etc))[.!?;](?!\d)|\n/gi;
  const found: Clause[] = [];
  let start = 0;
  for (const match of text.matchAll(boundary)) {
    push(found, text.slice(start, match.index), start);
    start = match.index + match[0].length;
  }
  push(found, text.slice(start), start);
  return found;
}

function push(found: Clause[], text: string, at: number): void {
  const cleaned = text.replace(NEUTRAL, ' ');
  if (cleaned.trim()) found.push({ text: cleaned, at });
}

/** Whether a clause says the concept. */
export function saysConcept(clause: string, concept: Concept): boolean {
  return concept.some((way) => way.all.every((cue) => cue.test(clause)) && !(way.none ?? []).some((cue) => cue.test(clause)));
}

/** Where the first clause of `text` that says the concept starts, or -1. */
export function conceptAt(text: string, concept: Concept, fine = false): number {
  for (const clause of clauses(text, fine)) if (saysConcept(clause.text, concept)) return clause.at;
  return -1;
}

/** Whether any clause of `text` says the concept. */
export function mentionsConcept(text: string, concept: Concept, fine = false): boolean {
  return conceptAt(text, concept, fine) >= 0;
}
