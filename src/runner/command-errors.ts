import { AglError } from '../errors/index.ts';
import type { AglErrorOptions } from '../errors/index.ts';

/** How much of a command's stderr a failure keeps. */
export const STDERR_TAIL_BYTES = 4096;

/** The last `maxBytes` of `text` (whole lines when possible), trimmed. */
export function tailOf(text: string, maxBytes = STDERR_TAIL_BYTES): string {
  const trimmed = text.trimEnd();
  if (Buffer.byteLength(trimmed) <= maxBytes) return trimmed;
  const cut = Buffer.from(trimmed).subarray(-maxBytes).toString('utf8');
  const newline = cut.indexOf('\n');
  return newline >= 0 && newline < cut.length - 1 ? cut.slice(newline + 1) : cut;
}

/**
 * Base of the failures of a command agent's attempt. Its `stack` is the command's stderr tail
 * rather than where the runner noticed the failure: that is what an attempt's
 * `metadata.error.stack` and the dashboard show.
 */
export class CommandAgentError extends AglError {
  /** The command line. */
  readonly command: string;
  /** The last bytes of the command's stderr (at most 4 KiB). */
  readonly stderrTail: string;

  constructor(code: string, message: string, command: string, stderr: string, options?: AglErrorOptions) {
    super(code, 500, message, options);
    this.command = command;
    this.stderrTail = tailOf(stderr);
    this.stack = this.stderrTail === '' ? `${this.name}: ${message}\n(the command wrote nothing to stderr)` : `${this.name}: ${message}\n--- stderr (last lines) ---\n${this.stderrTail}`;
  }
}

/** The command exited with a non-zero code, or was killed by a signal it did not get from the runner. */
export class CommandExitError extends CommandAgentError {
  /** The exit code, or `null` when a signal ended it. */
  readonly exitCode: number | null;
  readonly exitSignal: string | null;

  constructor(command: string, exitCode: number | null, exitSignal: string | null, stderr: string) {
    const how = exitCode !== null ? `exited with code ${exitCode}` : `was killed by ${exitSignal}`;
    const lastLine = tailOf(stderr).split('\n').filter((line) => line.trim() !== '').at(-1);
    super('command_exit', `Command \`${command}\` ${how}${lastLine ? `: ${lastLine.trim()}` : ' (nothing on stderr)'}`, command, stderr);
    this.exitCode = exitCode;
    this.exitSignal = exitSignal;
  }
}

/** The command ran past its time limit; its process group was killed. */
export class CommandTimeoutError extends CommandAgentError {
  readonly timeoutMillis: number;

  constructor(command: string, timeoutMillis: number, stderr: string) {
    super('command_timeout', `Command \`${command}\` ran past its ${timeoutMillis / 1000} s time limit; its process group was killed`, command, stderr);
    this.timeoutMillis = timeoutMillis;
  }
}

/** The command could not be started (no shell, a bad working directory). */
export class CommandSpawnError extends CommandAgentError {
  constructor(command: string, cause: Error) {
    super('command_spawn', `Command \`${command}\` could not be started: ${cause.message}`, command, '', { cause });
  }
}

/** The command ended well but left no reward: no reward span, no reward on its last stdout line, no grader. */
export class CommandNoRewardError extends CommandAgentError {
  constructor(command: string, lastLine: string | null, stderr: string) {
    const shown = lastLine === null ? 'printed nothing' : `printed \`${lastLine.length > 120 ? `${lastLine.slice(0, 120)}…` : lastLine}\` last`;
    super(
      'command_no_reward',
      `Command \`${command}\` exited 0 but gave no reward: it emitted no reward span and ${shown}, which is not a reward ` +
        '(the last stdout line must be a number or {"reward": …}), and there is no grader (--grader)',
      command,
      stderr,
    );
  }
}

/** The grader threw, or returned something that is not a finite number. */
export class CommandGraderError extends CommandAgentError {
  constructor(command: string, message: string, stderr: string, options?: AglErrorOptions) {
    super('command_grader', message, command, stderr, options);
    // Where the grader threw is what its author needs (and what tells failures apart).
    const causeStack = options?.cause instanceof Error ? options.cause.stack : undefined;
    const frames = causeStack?.split('\n').filter((line) => /^\s+at /.test(line)) ?? [];
    if (frames.length > 0) this.stack = `${this.name}: ${message}\n${frames.join('\n')}`;
  }
}
