/**
 * The references `bench:gateway` measures the gateway against: the least a Node proxy can do.
 *
 *   node --import tsx bench/reference-proxy.ts UPSTREAM_BASE_URL [--record --db FILE]
 *
 * Plain: a `node:http` server that passes every POST to the upstream with undici's
 * `Pool.dispatch` and the answer back, chunk by chunk: no routing, no checks, no parsing, nothing
 * recorded. With `--record`: the same, and each call is also recorded as the gateway records it
 * (request and answer parsed, the GenAI span built and handed to the collector's own ingest path
 * and DuckDB file through `GatewayRecorder`), still with no routing and no checks. What the gateway
 * costs beyond the second is its own code; the second beyond the first is the recording's.
 *
 * Prints `reference proxy listening on http://127.0.0.1:PORT/v1`; stops (storing what it recorded)
 * on SIGTERM.
 */
import { createServer } from 'node:http';
import type { OutgoingHttpHeaders } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { closeCollectorStorage, openCollectorCore } from '../collector/collector-core.ts';
import type { CollectorCore } from '../collector/collector-core.ts';
import { choicesOfAnswer, isRecord, toGenAiInputMessages, toGenAiOutputMessages } from '../src/gateway/gen-ai-messages.ts';
import type { AssembledChoice } from '../src/gateway/gen-ai-messages.ts';
import { StreamAssembler } from '../src/gateway/stream-assembler.ts';
import { createLogger } from '../src/logging/index.ts';

const { values: options, positionals } = parseArgs({ allowPositionals: true, options: { record: { type: 'boolean', default: false }, db: { type: 'string' } } });
if (positionals.length !== 1 || (options.record && !options.db)) {
  throw new TypeError('Usage: reference-proxy.ts UPSTREAM_BASE_URL [--record --db FILE]');
}
const upstream = new URL(positionals[0]);
const basePath = upstream.pathname.replace(/\/+$/, '');
const pool = new Pool(upstream.origin, { connections: null });
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

let core: CollectorCore | null = null;
/** What the record takes from an answer besides its choices. */
interface AnswerFacts {
  model: string | null;
  id: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
}
let record: ((request: Record<string, unknown>, choices: AssembledChoice[], answer: AnswerFacts, startTimeUnixNano: bigint) => void) | null = null;
if (options.record) {
  const logger = createLogger('warn');
  const opened = await openCollectorCore({ gateway: { upstreamUrl: null } }, { dbPath: options.db!, memoryLimit: null, databaseMemoryBytes: null }, null, logger);
  core = opened;
  const { rollout_id: rolloutId, attempt } = await opened.store.startRollout({ input: { bench: true } });
  let calls = 0;
  record = (request, choices, answer, startTimeUnixNano) => {
    calls++;
    opened.gatewayRecorder.record({
      operation: 'chat',
      traceId: calls.toString(16).padStart(32, '0'),
      spanId: calls.toString(16).padStart(16, '0'),
      parentSpanId: null,
      startTimeUnixNano,
      endTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
      rolloutId,
      attemptId: attempt.attempt_id,
      request,
      inputMessages: toGenAiInputMessages(request.messages),
      outputMessages: toGenAiOutputMessages(choices),
      finishReasons: choices.flatMap((choice) => (choice.finishReason ? [choice.finishReason] : [])),
      responseModel: answer.model,
      responseId: answer.id,
      inputTokens: answer.inputTokens,
      outputTokens: answer.outputTokens,
      promptTokenIds: null,
      responseTokenIds: null,
      error: null,
      server: { address: upstream.hostname, port: Number(upstream.port) },
      attributes: {},
    });
  };
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const startTimeUnixNano = BigInt(Date.now()) * 1_000_000n;
    const body = Buffer.concat(chunks);
    const parsed = record ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : null;
    const assembler = parsed?.stream === true ? new StreamAssembler() : null;
    const kept: Buffer[] = [];
    const headers: OutgoingHttpHeaders = { 'content-type': 'application/json', accept: request.headers.accept ?? 'application/json' };
    const handler: Dispatcher.DispatchHandlers = {
      onConnect() {},
      onError: (error) => response.destroy(error),
      onHeaders: (status, rawHeaders) => {
        const passed: OutgoingHttpHeaders = {};
        for (let index = 0; index < rawHeaders!.length; index += 2) {
          const name = rawHeaders![index].toString().toLowerCase();
          if (!HOP_BY_HOP.has(name)) passed[name] = rawHeaders![index + 1].toString();
        }
        response.writeHead(status, passed);
        return true;
      },
      onData: (chunk) => {
        if (assembler) assembler.push(chunk);
        else if (parsed) kept.push(chunk);
        return response.write(chunk);
      },
      onComplete: () => {
        response.end();
        if (!parsed || !record) return;
        if (assembler) {
          assembler.end();
          const usage = assembler.usage;
          record(parsed, assembler.choices(), { model: assembler.model, id: assembler.responseId, inputTokens: usage?.inputTokens ?? null, outputTokens: usage?.outputTokens ?? null }, startTimeUnixNano);
        } else {
          const answer = JSON.parse(Buffer.concat(kept).toString('utf8')) as Record<string, unknown>;
          const usage = isRecord(answer.usage) ? answer.usage : {};
          const facts: AnswerFacts = {
            model: typeof answer.model === 'string' ? answer.model : null,
            id: typeof answer.id === 'string' ? answer.id : null,
            inputTokens: typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : null,
            outputTokens: typeof usage.completion_tokens === 'number' ? usage.completion_tokens : null,
          };
          record(parsed, choicesOfAnswer(answer), facts, startTimeUnixNano);
        }
      },
    };
    const path = basePath + request.url!.slice(request.url!.lastIndexOf('/v1/') + 3);
    pool.dispatch({ method: 'POST', path, body, headers: headers as Record<string, string> }, handler);
  });
});

process.once('SIGTERM', () => {
  server.close();
  void pool.close();
  void (async () => {
    if (core) {
      await core.gatewayRecorder.close();
      await closeCollectorStorage(core);
    }
    process.exit(0);
  })();
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`reference proxy listening on http://127.0.0.1:${address.port}/v1`);
});
