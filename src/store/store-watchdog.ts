import type { AttemptStatus } from './store-types.ts';
import type { DraftEditor } from './draft-editor.ts';
import { nowSeconds } from './store-draft.ts';
import type { Draft } from './store-draft.ts';

/**
 * Runs the store's health check every `intervalMillis` (not at all when 0), never two at once and
 * not once the store is closed; a failed pass is left to the next tick.
 */
export class StoreWatchdog {
  readonly #timer: NodeJS.Timeout | null;
  readonly #check: () => Promise<unknown>;
  readonly #isClosed: () => boolean;
  #running = false;

  constructor(intervalMillis: number, check: () => Promise<unknown>, isClosed: () => boolean) {
    this.#check = check;
    this.#isClosed = isClosed;
    this.#timer = intervalMillis > 0 ? setInterval(() => void this.#run(), intervalMillis) : null;
    this.#timer?.unref();
  }

  /** Stops the ticks. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  async #run(): Promise<void> {
    if (this.#running || this.#isClosed()) return;
    this.#running = true;
    try {
      await this.#check();
    } catch {
      // The next tick tries again.
    } finally {
      this.#running = false;
    }
  }
}

/**
 * Marks, in `draft`, the latest attempt of each active rollout `timeout` (running longer than
 * `timeout_seconds` since it started) or `unresponsive` (no heartbeat or span for
 * `unresponsive_seconds`, counted from its start when it never had one), which requeues or fails
 * the rollout per its config. Returns how many attempts were marked.
 */
export function markUnhealthyAttempts(editor: DraftEditor, active: ReadonlySet<string>, draft: Draft): number {
  const now = nowSeconds();
  let marked = 0;
  for (const rolloutId of active) {
    // As the operations before this one in its group left it.
    const entry = editor.read(draft, rolloutId)!;
    const attempt = entry.attempts.at(-1);
    if (!attempt || (attempt.status !== 'preparing' && attempt.status !== 'running')) continue;
    const { timeout_seconds: timeout, unresponsive_seconds: unresponsive } = entry.rollout.config;
    let status: AttemptStatus | null = null;
    if (timeout !== null && now - attempt.start_time > timeout) status = 'timeout';
    else if (unresponsive !== null && now - (attempt.last_heartbeat_time ?? attempt.start_time) > unresponsive) status = 'unresponsive';
    if (status === null) continue;
    editor.setAttemptStatus(draft, editor.edit(draft, rolloutId), attempt.sequence_id - 1, status, now);
    marked++;
  }
  return marked;
}
