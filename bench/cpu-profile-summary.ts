/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): the functions with the most self time and the
 * most total time (time with them on the stack), as shares of the profile's samples.
 *
 *   node --import tsx bench/cpu-profile-summary.ts PROFILE.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const top = Number(values.top);
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (node: ProfileNode): string => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^.*\/(node_modules|src|collector)\//, '$1/')}:${lineNumber + 1}` : '';
    return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
  };
  const selfTime = new Map<string, number>();
  const totalTime = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    all += micros;
    let node = byId.get(id)!;
    selfTime.set(label(node), (selfTime.get(label(node)) ?? 0) + micros);
    const seen = new Set<string>();
    for (;;) {
      const name = label(node);
      if (!seen.has(name)) {
        seen.add(name);
        totalTime.set(name, (totalTime.get(name) ?? 0) + micros);
      }
      const up = parent.get(node.id);
      if (up === undefined) break;
      node = byId.get(up)!;
    }
  });
  const show = (title: string, table: Map<string, number>): void => {
    console.log(`${title}:`);
    for (const [name, micros] of [...table].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`  ${((100 * micros) / all).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${name}`);
    }
  };
  console.log(`${file}: ${(all / 1e6).toFixed(1)} s sampled`);
  show('self time', selfTime);
  show('total time', totalTime);
}
