// Asks a collector's health endpoint every 50 ms, one request at a time, from its own process (so
// that the lag of a benchmark's busy sender does not count as the collector's), until its stdin
// closes; then prints the slowest answer in milliseconds on stdout. It prints `ready` once its
// first answer (and its keep-alive connection) is in, so that the benchmark can start after it.
//   node bench/health-probe.mjs http://127.0.0.1:4318
import { Agent, request } from 'node:http';

const url = new URL('/v1/agl/health', process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
let running = true;
let slowest = 0;
let ready = false;
process.stdin.on('end', () => (running = false)).resume();
while (running) {
  const asked = performance.now();
  await new Promise((resolve) => {
    request(url, { agent }, (response) => response.resume().on('end', resolve)).on('error', resolve).end();
  });
  slowest = Math.max(slowest, performance.now() - asked);
  if (!ready) {
    ready = true;
    process.stdout.write('ready\n');
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
}
agent.destroy();
process.stdout.write(`${slowest}\n`);
