import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import OpenAI from 'openai';
import { SimLlmServer, chooseModelEndpoint } from '../../src/sim-llm/index.ts';

/** A stream that keeps what is written to it. */
function logStream(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { stream, text: () => text };
}

describe('chooseModelEndpoint', () => {
  it('without OPENAI_BASE_URL or OPENAI_API_KEY starts the simulated model and says so', async () => {
    const log = logStream();
    const model = await chooseModelEndpoint({ env: {}, log: log.stream, seed: 3 });
    try {
      assert.equal(model.simulated, true);
      assert.match(log.text(), /No OPENAI_BASE_URL \/ OPENAI_API_KEY: using the SIMULATED model \(agl sim-llm\) at http:\/\/127\.0\.0\.1:\d+\/v1/);
      const openai = new OpenAI({ baseURL: model.baseURL, apiKey: model.apiKey });
      const completion = await openai.chat.completions.create({ model: 'sim', messages: [{ role: 'user', content: 'hello' }] });
      assert.ok(completion.choices[0].message.content);
    } finally {
      await model.close();
    }
    await assert.rejects(fetch(`${model.baseURL}/models`), 'the simulated model stops with close()');
  });

  it('with OPENAI_BASE_URL uses that server, after checking it answers', async () => {
    const real = await SimLlmServer.start({ port: 0 }); // stands in for a real OpenAI-compatible server
    const log = logStream();
    try {
      const model = await chooseModelEndpoint({ env: { OPENAI_BASE_URL: real.baseURL }, log: log.stream, name: 'demo' });
      assert.deepEqual({ baseURL: model.baseURL, apiKey: model.apiKey, simulated: model.simulated }, { baseURL: real.baseURL, apiKey: 'unused', simulated: false });
      assert.equal(log.text(), `demo: model server ${real.baseURL} (from OPENAI_BASE_URL / OPENAI_API_KEY)\n`);
      await model.close();
      assert.equal((await fetch(`${real.baseURL}/models`)).status, 200, 'close() leaves a real server alone');
    } finally {
      await real.close();
    }
  });

  it('never falls back to the simulator: an unreachable server or a refused key is an error naming it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/v1`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const log = logStream();
    await assert.rejects(
      chooseModelEndpoint({ env: { OPENAI_BASE_URL: deadUrl }, log: log.stream }),
      new RegExp(`the model server ${deadUrl.replaceAll('.', '\\.')} \\(OPENAI_BASE_URL\\) cannot be reached: .*Not falling back to the simulated model`),
    );

    const refusing = createServer((request, response) => {
      response.writeHead(request.headers.authorization === 'Bearer wrong' ? 401 : 500).end();
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/v1`;
      await assert.rejects(chooseModelEndpoint({ env: { OPENAI_BASE_URL: url, OPENAI_API_KEY: 'wrong' }, log: log.stream }), /refused the API key \(HTTP 401\); check OPENAI_API_KEY/);
    } finally {
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
    }
    assert.doesNotMatch(log.text(), /SIMULATED/);
  });
});
