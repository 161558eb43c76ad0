import type { Collector } from '../../collector/index.ts';
import type { CollectorOptions } from '../../collector/index.ts';
import { SimLlmServer } from '../../src/sim-llm/index.ts';
import type { SimLlmOptions } from '../../src/sim-llm/index.ts';
import type { Json } from '@duckdb/node-api';
import OpenAI from 'openai';
import { queryRows, startTestCollector } from '../helpers/collector.ts';

/** A collector whose gateway calls a simulated model, both on free ports. */
export interface GatewayHarness {
  collector: Collector;
  sim: SimLlmServer;
  /** The gateway's base URL for an attempt (`null`: the plain recording base). */
  baseURL(rolloutId?: string, attemptId?: string): string;
  /** An OpenAI SDK client on that base URL, without retries. */
  client(rolloutId?: string, attemptId?: string, apiKey?: string): OpenAI;
  /** Waits until the calls answered so far are stored, then runs `sql`. */
  rows(sql: string): Promise<Record<string, Json>[]>;
  close(): Promise<void>;
}

export async function startGatewayHarness(simOptions: SimLlmOptions = {}, collectorOptions: CollectorOptions = {}): Promise<GatewayHarness> {
  const sim = await SimLlmServer.start({ port: 0, ...simOptions });
  const collector = await startTestCollector({ gateway: { upstreamUrl: sim.baseURL, upstreamApiKey: null }, ...collectorOptions });
  const baseURL = (rolloutId?: string, attemptId?: string) =>
    rolloutId === undefined
      ? `${collector.url}/v1/agl/gateway/v1`
      : `${collector.url}/v1/agl/gateway/rollouts/${encodeURIComponent(rolloutId)}/attempts/${encodeURIComponent(attemptId!)}/v1`;
  return {
    collector,
    sim,
    baseURL,
    client: (rolloutId, attemptId, apiKey = 'unused') => new OpenAI({ baseURL: baseURL(rolloutId, attemptId), apiKey, maxRetries: 0 }),
    async rows(sql) {
      await collector.gatewayRecorder.flush();
      return queryRows(collector, sql);
    },
    async close() {
      await collector.close();
      await sim.close();
    },
  };
}

/** The room-selector tool of the APO tutorial (the simulated model calls it for a prompt with a date and time). */
export const ROOM_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_rooms_and_availability',
    description: 'List meeting rooms with capacity, equipment and availability',
    parameters: {
      type: 'object',
      properties: { date: { type: 'string' }, time: { type: 'string' }, duration_min: { type: 'integer' } },
      required: ['date', 'time', 'duration_min'],
    },
  },
};

/** A JSON column's value as an object (DuckDB hands JSON back parsed or as text). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function json(value: unknown): any {
  return typeof value === 'string' ? JSON.parse(value) : value;
}
