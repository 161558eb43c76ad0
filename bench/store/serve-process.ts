import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const AGL = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));

/** `agl serve` on a fresh database, in a process of its own (node arguments from `AGL_BENCH_SERVER_NODE_ARGS`). */
export class ServeProcess {
  readonly url: string;
  readonly #child: ChildProcess;

  private constructor(url: string, child: ChildProcess) {
    this.url = url;
    this.#child = child;
  }

  /** Starts `agl serve --db database --port 0` and resolves once it listens. */
  static async start(database: string): Promise<ServeProcess> {
    const nodeArgs = process.env.AGL_BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...nodeArgs, AGL, 'serve', '--db', database, '--port', '0', '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`agl serve exited with ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const match = /agl collector listening on (\S+) \(database /.exec(line);
        if (match) resolve(match[1]);
      });
    });
    return new ServeProcess(url, child);
  }

  /** CPU seconds (user + system, all threads) the collector used so far, from `/proc/<pid>/stat`. */
  cpuSeconds(): number {
    const fields = readFileSync(`/proc/${this.#child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }

  /** Stops it with SIGTERM and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill('SIGTERM');
    await exited;
  }
}
