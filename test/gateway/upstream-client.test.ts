import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { UpstreamClient, UpstreamUnreachableError } from '../../src/gateway/index.ts';
import type { UpstreamAnswer } from '../../src/gateway/index.ts';

/** A real HTTP server on a free port, as the upstream. */
async function startUpstream(listener: RequestListener): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The whole body of `answer`, or the error it broke off with. */
function readAll(answer: UpstreamAnswer): Promise<{ body: string } | { error: Error }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    answer.read({
      data: (chunk) => chunks.push(chunk) > 0,
      end: () => resolve({ body: Buffer.concat(chunks).toString('utf8') }),
      error: (error) => resolve({ error }),
    });
  });
}

describe('LLM gateway: the upstream client', () => {
  it('sends the body and headers to the path under the base URL, and reads status, headers (repeats kept, bytes as sent) and body', async () => {
    let seen: { url?: string; headers?: IncomingMessage['headers']; body?: string } = {};
    const upstream = await startUpstream((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        seen = { url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
        response.writeHead(201, [
          ['content-type', 'application/json'],
          ['set-cookie', 'a=1'],
          ['set-cookie', 'b=2'],
          ['x-latin1', Buffer.from('caf\u00e9', 'latin1').toString('latin1')],
        ]);
        response.end('{"ok":true}');
      });
    });
    const client = new UpstreamClient({ baseUrl: upstream.url });
    try {
      const sent = client.send('POST', '/chat/completions?x=1', Buffer.from('{"a":1}'), { 'content-type': 'application/json', authorization: 'Bearer k' });
      const answer = await sent.answer;
      assert.equal(answer.statusCode, 201);
      assert.deepEqual(answer.headers['set-cookie'], ['a=1', 'b=2']);
      assert.equal(answer.headers['x-latin1'], 'caf\u00e9');
      assert.deepEqual(await readAll(answer), { body: '{"ok":true}' });
      assert.equal(seen.url, '/v1/chat/completions?x=1');
      assert.equal(seen.body, '{"a":1}');
      assert.equal(seen.headers?.authorization, 'Bearer k');
      assert.equal(seen.headers?.['content-length'], '7');
    } finally {
      client.close();
      await upstream.close();
    }
  });

  it('fails with UpstreamUnreachableError when the upstream stays silent longer than the idle timeout, before or during the answer', async () => {
    const upstream = await startUpstream((request, response) => {
      request.resume();
      if (request.url?.endsWith('/during')) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: {}\n\n');
      }
      // …and nothing more.
    });
    const client = new UpstreamClient({ baseUrl: upstream.url, idleTimeoutMillis: 200 });
    try {
      await assert.rejects(client.send('POST', '/before', Buffer.from('{}'), {}).answer, (error: Error) => {
        assert.ok(error instanceof UpstreamUnreachableError);
        assert.match(error.message, /sent nothing for 200 ms/);
        return true;
      });
      const answer = await client.send('POST', '/during', Buffer.from('{}'), {}).answer;
      const read = await readAll(answer);
      assert.ok('error' in read && read.error instanceof UpstreamUnreachableError, 'the answer breaks off');
    } finally {
      client.close();
      await upstream.close();
    }
  });

  it('breaks the answer off when the upstream closes mid-answer, and aborts a request with its reason', async () => {
    let heldClosed: Promise<void> | null = null;
    const upstream = await startUpstream((request, response) => {
      request.resume();
      if (request.url?.endsWith('/cut')) {
        response.writeHead(200, { 'content-length': '100' });
        response.write('partial');
        setTimeout(() => response.destroy(), 20);
      } else heldClosed = new Promise<void>((resolve) => request.socket.once('close', () => resolve()));
    });
    const client = new UpstreamClient({ baseUrl: upstream.url });
    try {
      const cut = await client.send('POST', '/cut', Buffer.from('{}'), {}).answer;
      const read = await readAll(cut);
      assert.ok('error' in read && read.error instanceof UpstreamUnreachableError);

      const sent = client.send('POST', '/hold', Buffer.from('{}'), {});
      while (!heldClosed) await new Promise((resolve) => setTimeout(resolve, 5));
      const reason = new Error('The client disconnected');
      sent.abort(reason);
      await assert.rejects(sent.answer, (error) => error === reason);
      // The upstream's connection goes with it.
      await heldClosed;
    } finally {
      client.close();
      await upstream.close();
    }
  });
});
