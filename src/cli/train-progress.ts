import type { StoreStatistics } from '../store/index.ts';

/** What the progress line shows, besides the store's counts. */
export interface TrainProgressState {
  /** The round under way (0 is the initial validation). */
  round: number;
  totalRounds: number;
  bestScore: number | null;
  baselineScore: number | null;
}

/** Options of {@link TrainProgress}. */
export interface TrainProgressOptions {
  /** Where the progress goes. @default process.stderr */
  stream?: NodeJS.WriteStream;
  /** Reads the store's counts. */
  statistics: () => Promise<StoreStatistics>;
  /** Redraw interval on a terminal. @default 250 */
  redrawMillis?: number;
  /** Interval of the plain lines when the stream is not a terminal. @default 5000 */
  lineMillis?: number;
}

/**
 * The live progress of `agl train`: on a terminal, one line redrawn in place; otherwise a plain
 * line every `lineMillis` (and whenever {@link TrainProgress.note} is called). Log lines written
 * through {@link TrainProgress.logStream} clear the line first, so they never mix with it.
 */
export class TrainProgress {
  readonly state: TrainProgressState = { round: 0, totalRounds: 0, bestScore: null, baselineScore: null };
  readonly #stream: NodeJS.WriteStream;
  readonly #statistics: () => Promise<StoreStatistics>;
  readonly #tty: boolean;
  readonly #startedAt = Date.now();
  #timer: NodeJS.Timeout | null = null;
  #line = '';
  #shown = false;
  #reading = false;

  constructor(options: TrainProgressOptions) {
    this.#stream = options.stream ?? process.stderr;
    this.#statistics = options.statistics;
    this.#tty = Boolean(this.#stream.isTTY);
    const interval = this.#tty ? (options.redrawMillis ?? 250) : (options.lineMillis ?? 5000);
    this.#timer = setInterval(() => void this.#tick(), interval);
    this.#timer.unref();
  }

  /** A stream for the logger: each write clears the progress line and redraws it after. */
  get logStream(): NodeJS.WritableStream {
    const write = (chunk: string | Uint8Array): boolean => {
      this.#clear();
      this.#stream.write(chunk);
      this.#draw();
      return true;
    };
    return { write } as unknown as NodeJS.WritableStream;
  }

  /** Prints a line of its own (e.g. a finished round), above the progress line. */
  note(message: string): void {
    this.#clear();
    this.#stream.write(`${message}\n`);
    void this.#tick();
  }

  /** Stops the display, leaving the last line shown. Idempotent. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#tty && this.#shown) this.#stream.write('\n');
    this.#shown = false;
  }

  async #tick(): Promise<void> {
    if (this.#reading || this.#timer === null) return;
    this.#reading = true;
    try {
      this.#line = describe(await this.#statistics(), this.state, Date.now() - this.#startedAt);
    } catch {
      return; // The store is closing; the next tick (if any) tries again.
    } finally {
      this.#reading = false;
    }
    if (this.#timer === null) return;
    if (this.#tty) {
      this.#clear();
      this.#draw();
    } else {
      this.#stream.write(`${this.#line}\n`);
    }
  }

  #clear(): void {
    if (this.#tty && this.#shown) this.#stream.write('\r\x1b[2K');
    this.#shown = false;
  }

  #draw(): void {
    if (!this.#tty || this.#line === '' || this.#timer === null) return;
    const width = this.#stream.columns ?? 120;
    this.#stream.write(this.#line.length > width - 1 ? `${this.#line.slice(0, width - 2)}…` : this.#line);
    this.#shown = true;
  }
}

/** The progress line: time, round, rollouts by state, best score. */
export function describe(statistics: StoreStatistics, state: TrainProgressState, elapsedMillis: number): string {
  const byStatus = (statistics.rollouts_by_status ?? {}) as Record<string, number>;
  const count = (...statuses: string[]) => statuses.reduce((sum, status) => sum + (byStatus[status] ?? 0), 0);
  const round = state.round === 0 ? 'initial validation' : `round ${Math.min(state.round, state.totalRounds)}/${state.totalRounds}`;
  const best = state.bestScore === null ? 'n/a' : state.bestScore.toFixed(3);
  const baseline = state.baselineScore === null ? '' : ` (baseline ${state.baselineScore.toFixed(3)})`;
  return (
    `[${(elapsedMillis / 1000).toFixed(0).padStart(4)} s] ${round} · rollouts ${count('succeeded')} done, ` +
    `${count('running', 'preparing')} running, ${count('queuing', 'requeuing')} queued, ${count('failed', 'cancelled')} failed · best ${best}${baseline}`
  );
}
