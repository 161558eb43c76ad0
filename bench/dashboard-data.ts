import type { Database } from '../src/storage/index.ts';

/** The size of the data {@link fillDashboardData} writes. */
export interface DashboardDataSize {
  /** Rollouts, one attempt each, with `spansPerRollout` spans (a root, two LLM calls, a reward, tool spans). */
  rollouts: number;
  /** Traces without a rollout (10 spans each), over three services. */
  looseTraces: number;
}

export const SPANS_PER_ROLLOUT = 9;
const SPANS_PER_LOOSE_TRACE = 10;
const BASE_NANOS = 1_790_000_000_000_000_000n;

/**
 * Writes a training's worth of rows straight into the tables with SQL (the collector's ingest is
 * measured by `bench:ingest`; here only the reads matter): rollouts and attempts as the store
 * writes them, spans in arrival order (an attempt's spans together, as they come over OTLP),
 * their `span_llm_calls` and `span_rewards`, prompt versions, workers and APO rounds. Run it on
 * the file before the collector opens it (the store loads its tables at start-up).
 */
export async function fillDashboardData(database: Database, size: DashboardDataSize): Promise<number> {
  const connection = await database.connect();
  try {
    const run = (sql: string, values: (number | bigint | string)[] = []) => connection.run(sql, values);
    await run(`INSERT INTO resources SELECT 'rs-' || lpad(i::VARCHAR, 4, '0'), 1,
      json_object('prompt_template', json_object('resource_type', 'prompt_template', 'engine', 'f-string',
        'template', 'Find a room on {date} at {time}.' || repeat(chr(10) || '- rule ' || i::VARCHAR, i % 7))),
      1790000000 + i, 1790000000 + i, i FROM range(20) t(i)`);
    await run(`INSERT INTO rollouts SELECT 'ro-' || lpad(i::VARCHAR, 8, '0'),
      json_object('id', 's' || (i % 57)::VARCHAR, 'task_input', json_object('date', '2025-10-13', 'time', (8 + i % 10)::VARCHAR || ':30', 'attendees', i % 12)),
      CASE WHEN i % 3 = 0 THEN 'val' ELSE 'train' END, 'rs-' || lpad((i * 20 // $1)::VARCHAR, 4, '0'),
      CASE WHEN i % 50 = 0 THEN 'failed' WHEN i >= $1 - 8 THEN 'running' ELSE 'succeeded' END,
      1790000000 + i / 100, CASE WHEN i >= $1 - 8 THEN NULL ELSE 1790000000 + i / 100 + 0.5 END,
      1, '[]', NULL, NULL, '{}', NULL, i, 1, 'at-' || lpad(i::VARCHAR, 8, '0')
      FROM range($1) t(i)`, [size.rollouts]);
    await run(`INSERT INTO attempts SELECT rollout_id, latest_attempt_id, 1,
      CASE status WHEN 'running' THEN 'running' WHEN 'failed' THEN 'failed' ELSE 'succeeded' END,
      start_time, end_time, 'worker-' || (created_order % 8)::VARCHAR, coalesce(end_time, start_time), '{}' FROM rollouts`);
    await run(`INSERT INTO workers SELECT 'worker-' || i::VARCHAR, 'busy', '{"rollouts_taken": 10}', 1790001000, 1790001000, 1790001000, NULL,
      'ro-' || lpad(($1 - 8 + i)::VARCHAR, 8, '0'), 'at-' || lpad(($1 - 8 + i)::VARCHAR, 8, '0') FROM range(8) t(i)`, [size.rollouts]);
    await run(`INSERT INTO apo_rounds (run_id, round, completed_at, candidates, beam, leader_resources_id, leader_val_score,
      best_resources_id, best_val_score, rejected_edits, timed_out_rollouts, timed_out_rollout_ids) SELECT 'bench', i, 1790000100 + i, '[]', '[]', 'rs-' || lpad(i::VARCHAR, 4, '0'), 0.5 + i / 10,
      'rs-' || lpad(i::VARCHAR, 4, '0'), 0.5 + i / 10, 0, 0, '[]' FROM range(4) t(i)`);
    // Spans of rollouts: j = 0 root, 1–2 LLM calls, 3 reward, 4–8 tool spans (each the child of the one before).
    const spanColumns = `trace_id, span_id, parent_span_id, trace_state, name, kind, start_time_unix_nano, end_time_unix_nano,
      status_code, status_message, attributes, resource, scope_name, scope_version, service_name, rollout_id, attempt_id,
      sequence_id, events, links, flags, dropped_attributes_count, dropped_events_count, dropped_links_count, received_at`;
    await run(`INSERT INTO spans (${spanColumns})
      SELECT md5('t' || r::VARCHAR), left(md5('s' || r::VARCHAR || '-' || j::VARCHAR), 16),
        CASE WHEN j = 0 THEN NULL WHEN j < 5 THEN left(md5('s' || r::VARCHAR || '-0'), 16) ELSE left(md5('s' || r::VARCHAR || '-' || (j - 1)::VARCHAR), 16) END,
        NULL, CASE WHEN j = 0 THEN 'agentlightning.rollout' WHEN j < 3 THEN 'chat gpt-4.1-nano' WHEN j = 3 THEN 'agentlightning.annotation' ELSE 'tool.step ' || j::VARCHAR END,
        'INTERNAL', $2::BIGINT + r * 10000000 + j * 1000000, $2::BIGINT + r * 10000000 + j * 1000000 + CASE WHEN j = 0 THEN 9000000 ELSE 800000 END,
        CASE WHEN r % 50 = 0 AND j = 0 THEN 'ERROR' ELSE 'OK' END, NULL,
        json_object('agentlightning.rollout_id', 'ro-' || lpad(r::VARCHAR, 8, '0'), 'agentlightning.attempt_id', 'at-' || lpad(r::VARCHAR, 8, '0'),
          'agentlightning.span_sequence_id', j + 1, 'gen_ai.request.model', 'gpt-4.1-nano', 'note', repeat('x', 200)),
        '{"service.name": "agentlightning-agent"}', 'agentlightning', '0.1', 'agentlightning-agent',
        'ro-' || lpad(r::VARCHAR, 8, '0'), 'at-' || lpad(r::VARCHAR, 8, '0'), j + 1, '[]', '[]', 1, 0, 0, 0, now()
      FROM range($1) a(r), range(${SPANS_PER_ROLLOUT}) b(j) ORDER BY r, j`, [size.rollouts, BASE_NANOS]);
    await run(`INSERT INTO spans (${spanColumns})
      SELECT md5('loose' || r::VARCHAR), left(md5('loose-s' || r::VARCHAR || '-' || j::VARCHAR), 16),
        CASE WHEN j = 0 THEN NULL ELSE left(md5('loose-s' || r::VARCHAR || '-0'), 16) END, NULL,
        CASE WHEN j = 0 THEN 'GET /api/items' ELSE 'db.query ' || j::VARCHAR END, 'SERVER',
        $2::BIGINT + r * 97000000 + j * 1000000, $2::BIGINT + r * 97000000 + j * 1000000 + 500000, 'UNSET', NULL,
        '{"http.method": "GET"}', '{}', 'http', NULL, ['api', 'worker', 'cron'][1 + r % 3], NULL, NULL, NULL, '[]', '[]', 1, 0, 0, 0, now()
      FROM range($1) a(r), range(${SPANS_PER_LOOSE_TRACE}) b(j) ORDER BY r, j`, [size.looseTraces, BASE_NANOS]);
    await run(`INSERT INTO span_llm_calls
      SELECT trace_id, span_id, rollout_id, attempt_id, sequence_id, 'gen_ai', 'gpt-4.1-nano',
        '[{"role":"system","content":"You are a scheduling assistant."},{"role":"user","content":"Find a room on 2025-10-13 at 10:30."}]',
        '[{"role":"assistant","content":"final_choice: A103"}]', 158, 21, '{}', start_time_unix_nano, end_time_unix_nano
      FROM spans WHERE name = 'chat gpt-4.1-nano'`);
    await run(`INSERT INTO span_rewards
        (trace_id, span_id, rollout_id, attempt_id, reward_index, name, value, is_primary, time_unix_nano, sequence_id)
      SELECT trace_id, span_id, rollout_id, attempt_id, 0, 'reward', (hash(span_id) % 100) / 100, true, end_time_unix_nano, sequence_id
      FROM spans WHERE name = 'agentlightning.annotation'`);
    await run('CHECKPOINT');
    return size.rollouts * SPANS_PER_ROLLOUT + size.looseTraces * SPANS_PER_LOOSE_TRACE;
  } finally {
    database.release(connection);
  }
}
