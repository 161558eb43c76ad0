import type { SinkWriteResult } from '../storage/index.ts';
import type { CommitAdmission, RetryableAnswer } from './commit-admission.ts';

/** What {@link writeWithinDeadline} needs besides the rows. */
export interface WriteWithinDeadlineOptions {
  /** Answers a request whose commit wait ran out. */
  admission: CommitAdmission;
  /** Retry-After of a storage failure. */
  retryAfterMillis: number;
  /** Told of a storage failure. */
  onStorageError?: (error: unknown) => void;
}

/**
 * Writes one decoded request's rows through a sink (spans or log/metric records alike) and says
 * whether they are durable, or why nothing of the request was stored: its deadline passed (before
 * or while it waited for a transaction), the write queue is full, or storage failed.
 */
export async function writeWithinDeadline<Rows>(
  write: (rows: Rows, options: { deadline?: number }) => Promise<SinkWriteResult>,
  rows: Rows,
  deadline: number | undefined,
  options: WriteWithinDeadlineOptions,
): Promise<{ kind: 'written' } | RetryableAnswer> {
  if (deadline !== undefined && Date.now() >= deadline) return options.admission.expired();
  let written: SinkWriteResult;
  try {
    written = await write(rows, { deadline });
  } catch (error) {
    options.onStorageError?.(error);
    return {
      kind: 'retryable',
      retryAfterMillis: options.retryAfterMillis,
      message: `Storage failed; nothing of this request was stored: ${(error as Error).message}`,
    };
  }
  if (written.kind === 'written') return written;
  if (written.reason === 'deadline') return options.admission.expired();
  return {
    kind: 'retryable',
    retryAfterMillis: written.retryAfterMillis,
    message: 'The collector is overloaded (write queue full); nothing of this request was stored',
  };
}
