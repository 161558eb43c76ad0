/**
 * Bookkeeping for the spans a decoder drops: OTLP partial success reports a count and one message.
 */

/** How many reasons {@link SpanRejections.message} quotes before summarising the rest. */
const MAX_QUOTED_REASONS = 3;

/** Collects the spans that failed validation while decoding one request, and why. */
export class SpanRejections {
  /** How many spans were rejected so far. */
  count = 0;
  readonly #reasons: string[] = [];

  /** Records one rejected span; only the first few reasons are kept. */
  add(reason: string): void {
    this.count++;
    if (this.#reasons.length < MAX_QUOTED_REASONS) this.#reasons.push(reason);
  }

  /** The first reasons joined with `; ` (and how many more there were), or `''` when none. */
  message(): string {
    if (this.count === 0) return '';
    const more = this.count - this.#reasons.length;
    return more > 0 ? `${this.#reasons.join('; ')}; and ${more} more` : this.#reasons.join('; ');
  }
}
