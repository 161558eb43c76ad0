// Asks a collector's health endpoint every 50 ms, one request at a time, from its own process (so
// that the lag of a benchmark's busy sender does not count as the collector's), until its stdin
// closes; then prints the slowest answer and the median in milliseconds on stdout ("max p50").
// By default it keeps one connection open (as a monitoring agent does) and prints `ready` once its
// first answer (and that connection) is in, so that the benchmark can start after it. With
// `--new-connection` every check opens a connection of its own (as `curl` or a Kubernetes probe do),
// so the time also counts the wait for the collector to accept it.
//   node bench/health-probe.mjs http://127.0.0.1:4318 [--new-connection]
import { Agent, request } from 'node:http';

const url = new URL('/v1/agl/health', process.argv[2]);
const newConnection = process.argv.includes('--new-connection');
const agent = new Agent({ keepAlive: !newConnection, maxSockets: 1 });
let running = true;
let ready = false;
const times = [];
process.stdin.on('end', () => (running = false)).resume();
while (running) {
  const asked = performance.now();
  await new Promise((resolve) => {
    request(url, { agent }, (response) => response.resume().on('end', resolve)).on('error', resolve).end();
  });
  times.push(performance.now() - asked);
  if (!ready) {
    ready = true;
    process.stdout.write('ready\n');
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
}
agent.destroy();
times.sort((a, b) => a - b);
process.stdout.write(`${times.at(-1)} ${times[Math.floor(times.length / 2)]}\n`);
