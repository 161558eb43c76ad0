import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One saved prompt. */
export interface SavedPrompt {
  /** `prompt-<n>`, in saving order. */
  id: string;
  template: string;
  /** The prompt's validation reward (mean over the validation set). */
  reward: number;
  /** The one the agent should use: the best saved so far. */
  active: boolean;
  savedAt: string;
  /** Where it came from: algorithm, store resources version, model, dataset sizes, baseline… */
  metadata: Record<string, unknown>;
}

/** The file's shape. */
export interface BestPromptsFile {
  version: 1;
  /** The active prompt's id (the highest reward; the earlier one on a tie). */
  activeId: string | null;
  prompts: SavedPrompt[];
}

/**
 * Keeps the prompts a training found in `best_prompts.json`: each saved with its reward and
 * metadata, the best one marked `active` (and named by `activeId`), so that the next run — or the
 * deployed agent — starts from it. Writes are atomic (temporary file, then rename).
 */
export class PromptManager {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** The file's content (an empty list when there is no file yet). */
  load(): BestPromptsFile {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, activeId: null, prompts: [] };
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<BestPromptsFile>;
    if (parsed.version !== 1 || !Array.isArray(parsed.prompts)) throw new Error(`${this.path} is not a best-prompts file (expected {"version": 1, "prompts": [...]})`);
    return { version: 1, activeId: parsed.activeId ?? null, prompts: parsed.prompts };
  }

  /** The active prompt, if any. */
  active(): SavedPrompt | undefined {
    const file = this.load();
    return file.prompts.find((prompt) => prompt.id === file.activeId);
  }

  /**
   * Saves a prompt with its reward and metadata and marks the best of all saved prompts active
   * (a new prompt must beat the active one strictly to take its place). Returns the saved entry.
   */
  save(template: string, reward: number, metadata: Record<string, unknown> = {}): SavedPrompt {
    if (typeof template !== 'string' || template === '') throw new TypeError('Expected `template` to be a non-empty string');
    if (!Number.isFinite(reward)) throw new RangeError(`Expected \`reward\` to be a finite number, got \`${reward}\``);
    const file = this.load();
    const entry: SavedPrompt = { id: `prompt-${file.prompts.length + 1}`, template, reward, active: false, savedAt: new Date().toISOString(), metadata };
    const prompts = [...file.prompts, entry];
    let best = prompts[0];
    for (const prompt of prompts) if (prompt.reward > best.reward) best = prompt;
    for (const prompt of prompts) prompt.active = prompt === best;
    this.#write({ version: 1, activeId: best.id, prompts });
    return entry;
  }

  #write(file: BestPromptsFile): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(file, null, 2) + '\n');
    renameSync(temporary, this.path);
  }
}
