import { spawn } from 'node:child_process';

/** Options of {@link runCommandProcess}. */
export interface CommandProcessOptions {
  /** The command line, run by `sh -c` (so it may hold arguments, quotes, `&&`, redirections). */
  command: string;
  /** The whole environment of the process (nothing is inherited besides it). */
  env: Record<string, string>;
  /** The working directory. @default the current one */
  cwd?: string;
  /** Written to the process's stdin, which is then closed. @default nothing (stdin closed at once) */
  stdin?: string;
  /** The process group is killed after this long. `null`: no limit. @default null */
  timeoutMillis?: number | null;
  /** Aborting it kills the process group. */
  signal?: AbortSignal;
  /** Bytes kept of each of stdout and stderr: the last ones; the rest is counted and dropped. @default 1048576 */
  maxOutputBytes?: number;
  /** After SIGTERM, how long the group has before SIGKILL. @default 2000 */
  killGraceMillis?: number;
}

/** Why a command process ended. */
export type CommandEnd =
  | { kind: 'exited'; code: number }
  | { kind: 'signalled'; signal: NodeJS.Signals }
  | { kind: 'timed-out' }
  | { kind: 'aborted'; reason: unknown }
  | { kind: 'spawn-failed'; error: Error };

/** What {@link runCommandProcess} resolves to. */
export interface CommandProcessResult {
  end: CommandEnd;
  /** The last `maxOutputBytes` of stdout (decoded as UTF-8). */
  stdout: string;
  /** The last `maxOutputBytes` of stderr. */
  stderr: string;
  /** Bytes of stdout dropped from the front because of the bound. */
  stdoutDroppedBytes: number;
  stderrDroppedBytes: number;
  /** The process id (of the group leader, `sh`), when it started. */
  pid: number | null;
  durationMillis: number;
}

/** Keeps the last `limit` bytes written to it, and counts what it dropped. */
class TailBuffer {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #size = 0;
  dropped = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size > this.#limit) {
      const first = this.#chunks[0]!;
      const excess = this.#size - this.#limit;
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#size -= first.length;
        this.dropped += first.length;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#size -= excess;
        this.dropped += excess;
      }
    }
  }

  text(): string {
    // A cut may fall inside a UTF-8 sequence: the decoder replaces its remains with U+FFFD.
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/**
 * Runs one command line as its own process group (`sh -c <command>`, `detached`), feeds `stdin`,
 * keeps the tail of its stdout and stderr within a bound, and resolves when it has ended — never
 * rejects. The timeout and `signal` end it by killing the whole group (the command's children
 * too): SIGTERM, then SIGKILL after `killGraceMillis` if any of the group is still alive.
 *
 * The command goes through `sh -c` because it is a command line the user wrote (as `npm run` or
 * `docker run … sh -c` take one): nothing of a task or a rollout is ever put into it; those go in
 * environment variables and on stdin.
 */
export function runCommandProcess(options: CommandProcessOptions): Promise<CommandProcessResult> {
  const maxOutputBytes = options.maxOutputBytes ?? 1024 * 1024;
  const killGraceMillis = options.killGraceMillis ?? 2000;
  const started = Date.now();
  const stdout = new TailBuffer(maxOutputBytes);
  const stderr = new TailBuffer(maxOutputBytes);
  return new Promise((resolve) => {
    let ending: CommandEnd | null = null;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const child = spawn('/bin/sh', ['-c', options.command], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const pid = child.pid ?? null;

    const killGroup = (signal: NodeJS.Signals): void => {
      if (pid === null) return;
      try {
        process.kill(-pid, signal);
      } catch {
        // ESRCH: the group is gone already.
      }
    };
    const terminate = (why: CommandEnd): void => {
      if (ending !== null) return;
      ending = why;
      killGroup('SIGTERM');
      const hard = setTimeout(() => killGroup('SIGKILL'), killGraceMillis);
      hard.unref();
      timers.push(hard);
    };
    const finish = (end: CommandEnd): void => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // The shell has ended; children it left behind in its group (a `sleep 100 &`) end with it.
      if (end.kind !== 'spawn-failed') killGroup('SIGKILL');
      resolve({
        end,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutDroppedBytes: stdout.dropped,
        stderrDroppedBytes: stderr.dropped,
        pid,
        durationMillis: Date.now() - started,
      });
    };
    const onAbort = (): void => terminate({ kind: 'aborted', reason: options.signal?.reason });

    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A command that never reads its stdin and exits first: EPIPE is not its failure.
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => finish({ kind: 'spawn-failed', error }));
    // 'close' waits for stdout and stderr to end: everything the command wrote is read. A child
    // that keeps them open after the shell exited is killed with the group (above, via 'exit').
    child.on('exit', () => {
      const drain = setTimeout(() => killGroup('SIGKILL'), 200);
      drain.unref();
      timers.push(drain);
    });
    child.on('close', (code, signal) => {
      if (ending !== null) finish(ending);
      else if (code !== null) finish({ kind: 'exited', code });
      else finish({ kind: 'signalled', signal: signal ?? 'SIGKILL' });
    });

    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const timeoutMillis = options.timeoutMillis ?? null;
    if (timeoutMillis !== null) {
      const timer = setTimeout(() => terminate({ kind: 'timed-out' }), timeoutMillis);
      timer.unref();
      timers.push(timer);
    }
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
  });
}
