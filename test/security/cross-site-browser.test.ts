import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchBrowser } from '../dashboard/browser.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { sqlRows, startServeChild } from './cross-site-serve.ts';
import type { ServeChild } from './cross-site-serve.ts';

/**
 * A page on another origin, in real Chromium, attacks a real `agl serve`: the requests a browser
 * sends cross-site without a CORS preflight (no-cors `fetch` with a body of no content type or
 * `text/plain`, a `text/plain` form posting JSON-looking fields) try to write a file through
 * `EXPLAIN ANALYZE COPY … TO` and to enqueue a rollout, and a CORS `fetch` tries to read rollouts.
 * Nothing is written, nothing enqueued, nothing read. Before the request guard, the no-content-type
 * bodies went through: the file was written and the rollout enqueued.
 *
 * One page server answers two origins: `http://127.0.0.1:<port>` (the attacker) and
 * `http://localhost:<port>`, listed with `--cors-origin`, whose page can call the collector — so
 * the test also shows that the attack page would have worked had its requests been let through.
 */

const PAGE = String.raw`<!doctype html>
<meta charset="utf-8">
<title>page</title>
<iframe name="sink" style="display:none"></iframe>
<script>
window.attack = async (target, file, tag) => {
  const results = {};
  const copy = JSON.stringify({ query: "EXPLAIN ANALYZE COPY (SELECT 'x') TO '" + file + "' (FORMAT csv)" });
  const enqueue = JSON.stringify({ rollouts: [{ input: { task: tag } }] });
  const send = async (name, path, init) => {
    try {
      const response = await fetch(target + path, { method: 'POST', mode: 'no-cors', ...init });
      results[name] = 'sent (opaque ' + response.type + ')';
    } catch (error) {
      results[name] = 'failed: ' + error;
    }
  };
  // A body with no Content-Type at all (an ArrayBuffer), and one as text/plain.
  await send('sqlNoType', '/v1/agl/sql', { body: new TextEncoder().encode(copy).buffer });
  await send('sqlTextPlain', '/v1/agl/sql', { body: copy, headers: { 'content-type': 'text/plain' } });
  await send('enqueueNoType', '/v1/agl/queues/rollouts/enqueue', { body: new Blob([enqueue]) });
  await send('enqueueTextPlain', '/v1/agl/queues/rollouts/enqueue', { body: enqueue });
  await send('dequeueNoBody', '/v1/agl/queues/rollouts/dequeue', {});
  // A form posting text/plain whose body reads as JSON: name={"query":"…","x":" value=" }.
  await new Promise((resolve) => {
    const form = document.createElement('form');
    form.method = 'POST';
    form.enctype = 'text/plain';
    form.action = target + '/v1/agl/sql';
    form.target = 'sink';
    const input = document.createElement('input');
    input.name = copy.slice(0, -1) + ', "x": "';
    input.value = '"}';
    form.appendChild(input);
    document.body.appendChild(form);
    document.querySelector('iframe').addEventListener('load', resolve, { once: true });
    form.submit();
    setTimeout(resolve, 3000);
  });
  results.form = 'submitted';
  // A CORS read of the rollouts.
  try {
    const response = await fetch(target + '/v1/agl/rollouts');
    results.read = 'read ' + response.status + ': ' + (await response.text());
  } catch (error) {
    results.read = 'failed: ' + error;
  }
  // A preflighted JSON write (what a page of a listed origin does).
  try {
    const response = await fetch(target + '/v1/agl/queues/rollouts/enqueue', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: enqueue,
    });
    results.jsonEnqueue = 'status ' + response.status;
  } catch (error) {
    results.jsonEnqueue = 'failed: ' + error;
  }
  return results;
};
</script>`;

describe('cross-site requests from real Chromium', () => {
  let pages: Server;
  let pagePort: number;
  let collector: ServeChild;
  let dir: string;
  before(async () => {
    pages = createServer((request, response) => {
      response.writeHead(request.url === '/page.html' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      response.end(request.url === '/page.html' ? PAGE : 'not found');
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagePort = (pages.address() as AddressInfo).port;
    dir = tempDir('agl-cross-site-browser-');
    collector = await startServeChild(join(dir, 'agl.duckdb'), ['--no-grpc', '--cors-origin', `http://localhost:${pagePort}`]);
  });
  after(async () => {
    await collector.stop();
    await new Promise<void>((resolve) => pages.close(() => resolve()));
  });

  async function runPage(origin: string, file: string, tag: string): Promise<Record<string, string>> {
    const browser = await launchBrowser();
    try {
      await browser.page.goto(`${origin}/page.html`);
      return (await browser.page.evaluate(
        `window.attack(${JSON.stringify(collector.url)}, ${JSON.stringify(file)}, ${JSON.stringify(tag)})`,
      )) as Record<string, string>;
    } finally {
      await browser.close();
    }
  }

  async function rolloutsTagged(tag: string): Promise<number> {
    const [[count]] = await sqlRows(collector.url, `SELECT count(*)::INTEGER FROM rollouts WHERE input::VARCHAR LIKE '%${tag}%'`);
    return Number(count);
  }

  it('a page of another origin can neither write a file, nor enqueue, nor read', { timeout: 60_000 }, async () => {
    const file = join(dir, 'written-by-attacker.csv');
    const results = await runPage(`http://127.0.0.1:${pagePort}`, file, 'attacker');
    // Give any request that did get through time to land.
    await sleep(300);
    assert.equal(existsSync(file), false, `the attack page wrote ${file}: ${JSON.stringify(results)}`);
    assert.equal(await rolloutsTagged('attacker'), 0, `the attack page enqueued: ${JSON.stringify(results)}`);
    assert.match(results.read, /^failed: TypeError/, 'the page read the rollouts');
    assert.match(results.jsonEnqueue, /^failed: TypeError/, 'the preflighted write went through');
  });

  it('a page of an origin listed with --cors-origin can call the collector (the attack reaches it)', { timeout: 60_000 }, async () => {
    const file = join(dir, 'written-by-listed.csv');
    const results = await runPage(`http://localhost:${pagePort}`, file, 'listed');
    await sleep(300);
    // Its preflighted JSON calls work and it reads the answers...
    assert.equal(results.jsonEnqueue, 'status 201', JSON.stringify(results));
    assert.match(results.read, /^read 200: \{"items":/, JSON.stringify(results));
    // ...while its bodies without application/json are still refused (415): one rollout only.
    assert.equal(await rolloutsTagged('listed'), 1);
    assert.equal(existsSync(file), false);
  });
});
