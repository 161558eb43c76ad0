import { AglError } from '../errors/index.ts';

/** A dataset file that cannot be read or parsed: its path, the line (when known) and the parser's message. */
export class DatasetError extends AglError {
  /** The file. */
  readonly path: string;
  /** The 1-based line of the problem; null when it concerns the whole file. */
  readonly line: number | null;

  constructor(path: string, line: number | null, message: string, options?: { cause?: unknown }) {
    super('invalid_dataset', 400, `${path}${line === null ? '' : `:${line}`}: ${message}`, options);
    this.path = path;
    this.line = line;
  }
}
