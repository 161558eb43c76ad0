import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rollout } from '../agent/index.ts';
import type { Agent } from '../agent/index.ts';

/**
 * Turns what an agent module exports into an {@link Agent}: an object with `run` (a `rollout(fn)`
 * or `LitAgent` instance) as is, a class with `run` on its prototype (a `LitAgent` subclass)
 * instantiated without arguments, a plain function wrapped with `rollout(fn)`.
 */
export function toAgent(value: unknown, what = 'the agent'): Agent {
  if (typeof value === 'object' && value !== null && typeof (value as Agent).run === 'function') return value as Agent;
  if (typeof value === 'function') {
    const prototype = (value as { prototype?: { run?: unknown } }).prototype;
    if (prototype && typeof prototype.run === 'function') return new (value as new () => Agent)();
    return rollout(value as Parameters<typeof rollout>[0]);
  }
  throw new TypeError(`Expected ${what} to be an agent (an object with run(task, context)), a LitAgent class or a function, got ${typeof value}`);
}

const TYPESCRIPT_MODULE = /\.[cm]?tsx?$/i;
const TSX_REGISTERED = Symbol.for('agentlightning-ts.tsx-registered');

/**
 * Makes TypeScript modules importable. In the git checkout (this file is `.ts`) and under
 * `node --import tsx` or the `tsx` command a loader is already in place: registering a second one
 * breaks imports. Otherwise (the installed package runs compiled JavaScript) tsx is registered
 * once per process: the one place the package uses a TypeScript loader.
 */
async function ensureTypeScriptLoader(): Promise<void> {
  const registry = globalThis as { [TSX_REGISTERED]?: boolean };
  if (registry[TSX_REGISTERED]) return;
  registry[TSX_REGISTERED] = true;
  if (import.meta.url.endsWith('.ts')) return;
  if ([...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => /\btsx\b/.test(arg))) return;
  const { register } = await import('tsx/esm/api');
  register();
}

/**
 * Imports an agent module (TypeScript through tsx, or JavaScript) and returns its agent: the
 * default export, else the export named `agent`.
 */
export async function loadAgent(path: string): Promise<Agent> {
  if (TYPESCRIPT_MODULE.test(path)) await ensureTypeScriptLoader();
  const module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown; agent?: unknown };
  const exported = module.default ?? module.agent;
  if (exported === undefined) throw new TypeError(`${path} exports no agent: export it as the default export or as \`agent\``);
  return toAgent(exported, `the agent exported by ${path}`);
}
