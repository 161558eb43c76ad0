import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One remembered attempt at a problem. */
export interface MemoryEntry {
  question: string;
  /** The agent's answer text. */
  answer: string;
  /** The reward it earned. */
  reward: number;
  /** The prompt template's resources version it was solved with. */
  resourcesId: string | null;
  /** ISO time. */
  solvedAt: string;
}

/** The file's shape: the latest entry per question. */
interface MemoryFile {
  version: 1;
  entries: Record<string, MemoryEntry>;
}

/**
 * The agent's memory of what it solved before, in one JSON file (`{version, entries: {question:
 * entry}}`, the latest attempt per question). Writes are serialised within the process and atomic
 * on disk (a temporary file renamed over the old one), so concurrent rollouts and a crash never
 * leave half a file.
 *
 * The memory is kept, not fed back into the prompt: a remembered answer in the prompt would let
 * the agent copy instead of solve, and APO would then be scoring the memory, not the prompt.
 */
export class JsonFileMemory {
  readonly path: string;
  #entries: Map<string, MemoryEntry>;
  #writing: Promise<void> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
    this.#entries = new Map(Object.entries(JsonFileMemory.#read(path)));
  }

  static #read(path: string): Record<string, MemoryEntry> {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<MemoryFile>;
    if (parsed.version !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) {
      throw new Error(`${path} is not a math-agent memory file (expected {"version": 1, "entries": {...}})`);
    }
    return parsed.entries;
  }

  /** What the agent last did on `question`, if anything. */
  recall(question: string): MemoryEntry | undefined {
    return this.#entries.get(question);
  }

  /** Every remembered question's latest entry. */
  entries(): MemoryEntry[] {
    return [...this.#entries.values()];
  }

  /** Remembers an attempt and writes the file; resolves once it is on disk. */
  remember(entry: MemoryEntry): Promise<void> {
    this.#entries.set(entry.question, entry);
    const write = this.#writing.then(() => this.#write());
    this.#writing = write.catch(() => undefined);
    return write;
  }

  #write(): void {
    const file: MemoryFile = { version: 1, entries: Object.fromEntries(this.#entries) };
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(file, null, 2) + '\n');
    renameSync(temporary, this.path);
  }
}
