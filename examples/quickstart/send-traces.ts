/**
 * The quick-start demo: starts `agl serve` as its own process, sends the traces of a few agent
 * rollouts through the official OpenTelemetry SDK and OTLP/protobuf exporter, then shows them with
 * `agl sql` over HTTP. The traces are synthetic (no model is called): each rollout has an agent
 * span, an LLM-call span in the OTel GenAI convention, a tool span and a reward span.
 *
 * Run: npm run demo  (keeps ./agl-demo.duckdb afterwards for `npx agl sql --db agl-demo.duckdb ...`)
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const agl = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));
const dbPath = process.env.AGL_DB ?? './agl-demo.duckdb';
rmSync(dbPath, { force: true });
rmSync(`${dbPath}.wal`, { force: true });

const server = spawn(process.execPath, [agl, 'serve', '--db', dbPath, '--port', process.env.AGL_PORT ?? '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`agl serve exited early with code ${code}`)));
  createInterface({ input: server.stdout! }).on('line', (line) => {
    console.log(line);
    const match = /listening on (\S+)/.exec(line);
    if (match) resolve(match[1]);
  });
});

const rooms = ['Orion', 'Lyra', 'Nova', 'No Room'];
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'room-selector-demo' }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
});
const tracer = provider.getTracer('agl-quickstart', '0.1.0');
for (let index = 0; index < 6; index++) {
  const rolloutId = `ro-demo-${index}`;
  const ids = { 'agentlightning.rollout_id': rolloutId, 'agentlightning.attempt_id': `at-demo-${index}` };
  const agent = tracer.startSpan('agent.run', { attributes: ids });
  const context = trace.setSpan(ROOT_CONTEXT, agent);
  const choice = rooms[index % rooms.length];
  const llm = tracer.startSpan(
    'chat gpt-4.1-mini',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        ...ids,
        'agentlightning.span_sequence_id': 1,
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4.1-mini',
        'gen_ai.input.messages': JSON.stringify([
          { role: 'system', parts: [{ type: 'text', content: 'You pick meeting rooms.' }] },
          { role: 'user', parts: [{ type: 'text', content: `Book a room for task ${index}.` }] },
        ]),
        'gen_ai.output.messages': JSON.stringify([
          { role: 'assistant', parts: [{ type: 'text', content: `Final answer: ${choice}` }], finish_reason: 'stop' },
        ]),
        'gen_ai.usage.input_tokens': 40 + index,
        'gen_ai.usage.output_tokens': 5,
      },
    },
    context,
  );
  llm.end();
  tracer.startSpan('tool.room_availability', { attributes: { ...ids, 'agentlightning.span_sequence_id': 2 } }, context).end();
  tracer
    .startSpan('agentlightning.annotation', {
      attributes: {
        ...ids,
        'agentlightning.span_sequence_id': 3,
        'agentlightning.reward.0.name': 'exact_match',
        'agentlightning.reward.0.value': index % 2 === 0 ? 1 : 0,
        'agentlightning.reward.1.name': 'format_ok',
        'agentlightning.reward.1.value': 1,
      },
    }, context)
    .end();
  agent.end();
}
await provider.forceFlush();
await provider.shutdown();
console.log(`\nSent the traces of 6 rollouts to ${url}/v1/traces\n`);

const queries = [
  'SELECT rollout_id, count(*) AS spans, min(start_time) AS started FROM spans GROUP BY rollout_id ORDER BY rollout_id',
  'SELECT rollout_id, name, value, is_primary FROM rewards ORDER BY rollout_id, reward_index',
  "SELECT rollout_id, model, input_tokens, output_tokens, output_messages->>'$[0].content' AS answer FROM llm_calls ORDER BY rollout_id",
];
for (const query of queries) {
  console.log(`$ agl sql "${query}"`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [agl, 'sql', '--server', url, query], { stdio: 'inherit' });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`agl sql exited with ${code}`))));
  });
}

server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
console.log(`\nThe collector stopped; the data stays in ${dbPath}. Try: npx agl sql --db ${dbPath} "SELECT name, kind, service_name FROM spans"`);
