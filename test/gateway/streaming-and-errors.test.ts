import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startTestCollector } from '../helpers/collector.ts';
import { json, startGatewayHarness } from './gateway-harness.ts';
import type { GatewayHarness } from './gateway-harness.ts';

/** An SSE chunk of a chat completion. */
function chunk(content: string | null, finishReason: string | null = null): string {
  const delta = content === null ? {} : { content };
  return `data: ${JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'paced', choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
}

/**
 * An upstream that paces its stream on the client: it sends the next chunk only once `release()`
 * is called (the simulated model writes a whole stream at once, so it cannot show that chunks are
 * passed on as they come).
 */
async function startPacedUpstream(): Promise<{ server: Server; url: string; release: () => void; answering: Promise<ServerResponse> }> {
  let waiting: (() => void) | null = null;
  let answered: (response: ServerResponse) => void = () => {};
  const answering = new Promise<ServerResponse>((resolve) => (answered = resolve));
  const server = createServer(async (request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    answered(response);
    for (const piece of ['one ', 'two ', 'three']) {
      response.write(chunk(piece));
      await new Promise<void>((resolve) => (waiting = resolve));
    }
    response.write(chunk(null, 'stop'));
    response.end('data: [DONE]\n\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, release: () => waiting?.(), answering };
}

describe('LLM gateway: streaming', () => {
  let harness: GatewayHarness;
  before(async () => {
    harness = await startGatewayHarness();
  });
  after(() => harness.close());

  it('passes a stream through and records the assembled answer with its usage once it ends', async () => {
    const started = await harness.collector.store.startRollout({ input: {} });
    const client = harness.client(started.rollout_id, started.attempt.attempt_id);
    const stream = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Calculate the sum from 1 to 4. The range is inclusive.' }],
    });
    let text = '';
    let usage: { prompt_tokens: number; completion_tokens: number } | null | undefined;
    let chunks = 0;
    for await (const part of stream) {
      chunks++;
      text += part.choices[0]?.delta.content ?? '';
      usage = part.usage ?? usage;
    }
    assert.ok(chunks > 3);
    const [call] = await harness.rows(`SELECT output_messages, input_tokens, output_tokens FROM llm_calls WHERE rollout_id = '${started.rollout_id}'`);
    assert.equal(json(call.output_messages)[0].content, text);
    assert.equal(Number(call.input_tokens), usage!.prompt_tokens);
    assert.equal(Number(call.output_tokens), usage!.completion_tokens);
  });

  it('sends each chunk as the upstream sends it, and records a client disconnect as an error', async () => {
    const upstream = await startPacedUpstream();
    const collector = await startTestCollector({ gateway: { upstreamUrl: upstream.url, upstreamApiKey: null } });
    try {
      const started = await collector.store.startRollout({ input: {} });
      // A plain HTTP client, so that the test decides when the connection goes (the SDK's fetch may keep a socket).
      const received: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const outgoing = httpRequest(
          `${collector.url}/v1/agl/gateway/rollouts/${started.rollout_id}/attempts/${started.attempt.attempt_id}/v1/chat/completions`,
          { method: 'POST', headers: { 'content-type': 'application/json' } },
          (response) => {
            assert.equal(response.statusCode, 200);
            response.on('data', (bytes: Buffer) => {
              for (const match of bytes.toString().matchAll(/"content":"([^"]*)"/g)) received.push(match[1]);
              // The upstream holds its next chunk until this one has reached the client: a buffering gateway would hang here.
              if (received.length === 2) {
                outgoing.destroy();
                resolve();
              } else upstream.release();
            });
          },
        );
        outgoing.on('error', (error) => (received.length < 2 ? reject(error) : undefined));
        outgoing.end(JSON.stringify({ model: 'paced', stream: true, messages: [{ role: 'user', content: 'count' }] }));
      });
      assert.deepEqual(received, ['one ', 'two ']);
      // The client went away mid-answer: the gateway records the call as failed.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await collector.gatewayRecorder.flush();
      const { queryRows } = await import('../helpers/collector.ts');
      const [span] = await queryRows(collector, `SELECT status_code, status_message, attributes FROM spans WHERE rollout_id = '${started.rollout_id}'`);
      assert.equal(span.status_code, 'ERROR');
      const attributes = json(span.attributes);
      assert.equal(attributes['error.type'], 'client_disconnected');
      assert.equal(json(attributes['gen_ai.output.messages'])[0].parts[0].content, 'one two ');
    } finally {
      upstream.release();
      await collector.close();
      upstream.server.closeAllConnections();
      upstream.server.close();
    }
  });
});

describe('LLM gateway: upstream errors', () => {
  it('passes 429 and 500 through with their status and body, and records them as errors', async () => {
    for (const status of [429, 500] as const) {
      const harness = await startGatewayHarness({ errorRates: { [status]: 0.999 } });
      try {
        const started = await harness.collector.store.startRollout({ input: {} });
        await assert.rejects(
          harness.client(started.rollout_id, started.attempt.attempt_id).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Say hello.' }] }),
          (error: { status?: number; message: string }) => {
            assert.equal(error.status, status);
            assert.match(error.message, /Simulated/);
            return true;
          },
        );
        const [span] = await harness.rows(`SELECT status_code, attributes FROM spans WHERE rollout_id = '${started.rollout_id}'`);
        assert.equal(span.status_code, 'ERROR');
        assert.equal(json(span.attributes)['error.type'], String(status));
      } finally {
        await harness.close();
      }
    }
  });

  it('answers 502 when the upstream cannot be reached, and 503 naming the flag when none is configured', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const collector = await startTestCollector({ gateway: { upstreamUrl: `http://127.0.0.1:${port}/v1`, upstreamApiKey: null } });
    const unconfigured = await startTestCollector({ gateway: { upstreamUrl: null } });
    try {
      const client = new OpenAI({ baseURL: `${collector.url}/v1/agl/gateway/v1`, apiKey: 'x', maxRetries: 0 });
      await assert.rejects(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), (error: { status?: number; message: string }) => {
        assert.equal(error.status, 502);
        assert.match(error.message, /cannot be reached/);
        return true;
      });
      const none = new OpenAI({ baseURL: `${unconfigured.url}/v1/agl/gateway/v1`, apiKey: 'x', maxRetries: 0 });
      await assert.rejects(none.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), (error: { status?: number; message: string }) => {
        assert.equal(error.status, 503);
        assert.match(error.message, /--model-upstream/);
        return true;
      });
    } finally {
      await collector.close();
      await unconfigured.close();
    }
  });
});
