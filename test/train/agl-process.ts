import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `bin/agl.js` of this checkout. */
export const AGL = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url));

/** What an `agl` process did. */
export interface AglRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child: nothing inherited that would point it at a real model or another collector. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'AGL_SERVER', 'AGL_TOKEN', 'AGENT_MODEL', 'APO_GRADIENT_MODEL', 'APO_EDIT_MODEL']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

/** Runs `agl <args>` as its own process in `cwd`. */
export function agl(args: string[], cwd: string, env: Record<string, string> = {}, timeoutMillis = 90_000): Promise<AglRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [AGL, ...args], { cwd, env: childEnv(env), timeout: timeoutMillis, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Makes `dir` a user's own project: `package.json` (ESM) and the packages a user would have
 * installed (`openai`, the OpenInference instrumentation) — here this checkout's `node_modules`.
 */
export function userProject(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-agent', private: true, type: 'module' }));
  symlinkSync(NODE_MODULES, join(dir, 'node_modules'), 'dir');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}
