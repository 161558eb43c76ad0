/** One schema change. Versions are applied in order, each in its own transaction. */
export interface Migration {
  version: number;
  description: string;
  statements: readonly string[];
}

/**
 * The schema's history: the tables and views of each version. Never edit an applied migration: add
 * a new one. The collector brings any older file up to the last version at start-up (`migrate.ts`).
 */
export const CORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'spans, reward and LLM-call records, and the rewards and llm_calls views',
    statements: [
      `CREATE TABLE spans (
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        parent_span_id VARCHAR,
        trace_state VARCHAR,
        name VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        start_time_unix_nano BIGINT NOT NULL,
        end_time_unix_nano BIGINT NOT NULL,
        -- Derived from the exact nanoseconds (virtual: computed when read, never stored twice).
        start_time TIMESTAMP GENERATED ALWAYS AS (make_timestamp(start_time_unix_nano // 1000)) VIRTUAL,
        end_time TIMESTAMP GENERATED ALWAYS AS (make_timestamp(end_time_unix_nano // 1000)) VIRTUAL,
        duration_ms DOUBLE GENERATED ALWAYS AS ((end_time_unix_nano - start_time_unix_nano) / 1e6) VIRTUAL,
        status_code VARCHAR NOT NULL,
        status_message VARCHAR,
        attributes JSON NOT NULL,
        resource JSON NOT NULL,
        scope_name VARCHAR,
        scope_version VARCHAR,
        service_name VARCHAR,
        rollout_id VARCHAR,
        attempt_id VARCHAR,
        sequence_id BIGINT,
        events JSON NOT NULL,
        links JSON NOT NULL,
        flags INTEGER NOT NULL,
        dropped_attributes_count INTEGER NOT NULL,
        dropped_events_count INTEGER NOT NULL,
        dropped_links_count INTEGER NOT NULL,
        received_at TIMESTAMP NOT NULL
      )`,
      `CREATE TABLE span_rewards (
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        rollout_id VARCHAR,
        attempt_id VARCHAR,
        reward_index INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        value DOUBLE NOT NULL,
        is_primary BOOLEAN NOT NULL,
        time_unix_nano BIGINT NOT NULL,
        time TIMESTAMP GENERATED ALWAYS AS (make_timestamp(time_unix_nano // 1000)) VIRTUAL
      )`,
      `CREATE TABLE span_llm_calls (
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        rollout_id VARCHAR,
        attempt_id VARCHAR,
        sequence_id BIGINT,
        convention VARCHAR NOT NULL,
        model VARCHAR,
        input_messages JSON NOT NULL,
        output_messages JSON NOT NULL,
        input_tokens BIGINT,
        output_tokens BIGINT,
        details JSON NOT NULL,
        start_time_unix_nano BIGINT NOT NULL,
        end_time_unix_nano BIGINT NOT NULL,
        start_time TIMESTAMP GENERATED ALWAYS AS (make_timestamp(start_time_unix_nano // 1000)) VIRTUAL,
        end_time TIMESTAMP GENERATED ALWAYS AS (make_timestamp(end_time_unix_nano // 1000)) VIRTUAL
      )`,
      `CREATE VIEW rewards AS
        SELECT rollout_id, attempt_id, span_id, trace_id, name, value, is_primary, reward_index, time
        FROM span_rewards`,
      `CREATE VIEW llm_calls AS
        SELECT rollout_id, attempt_id, span_id, trace_id, sequence_id, model, input_messages,
               output_messages, input_tokens, output_tokens, convention, details, start_time, end_time,
               (end_time_unix_nano - start_time_unix_nano) / 1e6 AS duration_ms
        FROM span_llm_calls`,
    ],
  },
  {
    version: 2,
    description: 'the rollout store: rollouts, attempts, versioned resources, workers, span sequence counters',
    statements: [
      // Times are epoch seconds (DOUBLE), as on the store API; `to_timestamp(start_time)` in SQL.
      // Free-form objects of the contract (input, metadata, resources, stats) are JSON text.
      `CREATE TABLE rollouts (
        rollout_id VARCHAR PRIMARY KEY,
        input JSON NOT NULL,
        mode VARCHAR,
        resources_id VARCHAR,
        status VARCHAR NOT NULL,
        start_time DOUBLE NOT NULL,
        end_time DOUBLE,
        max_attempts INTEGER NOT NULL,
        retry_condition JSON NOT NULL,
        timeout_seconds DOUBLE,
        unresponsive_seconds DOUBLE,
        metadata JSON,
        -- Position in the FIFO queue while status is queuing or requeuing, else NULL.
        queue_position BIGINT,
        -- Creation order (ties of start_time broken).
        created_order BIGINT NOT NULL,
        attempt_count INTEGER NOT NULL,
        latest_attempt_id VARCHAR
      )`,
      `CREATE TABLE attempts (
        rollout_id VARCHAR NOT NULL,
        attempt_id VARCHAR NOT NULL,
        sequence_id INTEGER NOT NULL,
        status VARCHAR NOT NULL,
        start_time DOUBLE NOT NULL,
        end_time DOUBLE,
        worker_id VARCHAR,
        last_heartbeat_time DOUBLE,
        metadata JSON,
        PRIMARY KEY (rollout_id, attempt_id)
      )`,
      // One row per version: the history of every named resources set is kept.
      `CREATE TABLE resources (
        resources_id VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        resources JSON NOT NULL,
        create_time DOUBLE NOT NULL,
        update_time DOUBLE NOT NULL,
        -- Order of writes across all resources: the latest resources are the highest.
        update_order BIGINT NOT NULL,
        PRIMARY KEY (resources_id, version)
      )`,
      `CREATE TABLE workers (
        worker_id VARCHAR PRIMARY KEY,
        status VARCHAR NOT NULL,
        heartbeat_stats JSON,
        last_heartbeat_time DOUBLE,
        last_dequeue_time DOUBLE,
        last_busy_time DOUBLE,
        last_idle_time DOUBLE,
        current_rollout_id VARCHAR,
        current_attempt_id VARCHAR
      )`,
      // The last span sequence id issued (or seen) per rollout: ids are never issued twice.
      `CREATE TABLE span_sequence_ids (
        rollout_id VARCHAR PRIMARY KEY,
        last_sequence_id BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 3,
    // Before tables had owners, this created apo_rounds; APO owns it now (see migration 10).
    description: 'apo_rounds: the scores of every round of an APO training',
    statements: [],
  },
  {
    version: 4,
    description: "store_journal: store changes committed but not yet written into the store's tables",
    statements: [
      // Each store transaction appends the rows it changed here (cheap: no key lookups), and the
      // tables are rewritten from them in batches, clearing the journal in the same transaction.
      // A collector that stopped uncleanly replays what is left at its next start.
      `CREATE TABLE store_journal (
        seq BIGINT NOT NULL,
        table_name VARCHAR NOT NULL,
        row_json VARCHAR NOT NULL
      )`,
    ],
  },
  {
    version: 5,
    description: "store_journal_rejected: journalled store rows that could not be written into the store's tables",
    statements: [
      // A journalled row that the tables refuse (a value out of its column's range, text DuckDB
      // cannot hold) is moved here with the error, so that it never stops the store from starting
      // or from writing every other row.
      `CREATE TABLE store_journal_rejected (
        table_name VARCHAR NOT NULL,
        row_json VARCHAR NOT NULL,
        error VARCHAR NOT NULL,
        rejected_at TIMESTAMP NOT NULL
      )`,
    ],
  },
  {
    version: 6,
    // Before tables had owners, this added columns to apo_rounds; APO owns it now (see migration 10).
    description: 'apo_rounds: failed rollouts, critiques written without LLM calls, and the run fingerprint',
    statements: [],
  },
  {
    version: 7,
    description: "final_rewards: each attempt's final primary reward, the one definition; span_rewards.sequence_id",
    statements: [
      // The reward's span sequence id, written by the sink from now on; older rows get it from their
      // span. The table is rebuilt rather than altered: DuckDB 1.5 cannot replay an ALTER TABLE …
      // ADD COLUMN of a table with a generated column from the WAL ("GetDefaultDatabase with no
      // default database set"), so a crash before the next checkpoint left a file no one could open.
      `CREATE TABLE span_rewards_v7 (
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        rollout_id VARCHAR,
        attempt_id VARCHAR,
        reward_index INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        value DOUBLE NOT NULL,
        is_primary BOOLEAN NOT NULL,
        time_unix_nano BIGINT NOT NULL,
        time TIMESTAMP GENERATED ALWAYS AS (make_timestamp(time_unix_nano // 1000)) VIRTUAL,
        sequence_id BIGINT
      )`,
      `INSERT INTO span_rewards_v7 (trace_id, span_id, rollout_id, attempt_id, reward_index, name, value, is_primary,
                                   time_unix_nano, sequence_id)
        SELECT r.trace_id, r.span_id, r.rollout_id, r.attempt_id, r.reward_index, r.name, r.value, r.is_primary,
               r.time_unix_nano, s.sequence_id
        FROM span_rewards r
        LEFT JOIN (SELECT trace_id, span_id, max(sequence_id) AS sequence_id FROM spans GROUP BY trace_id, span_id) s
          ON s.trace_id = r.trace_id AND s.span_id = r.span_id`,
      'DROP TABLE span_rewards',
      'ALTER TABLE span_rewards_v7 RENAME TO span_rewards',
      `CREATE OR REPLACE VIEW rewards AS
        SELECT rollout_id, attempt_id, span_id, trace_id, name, value, is_primary, reward_index, time, sequence_id
        FROM span_rewards`,
      // One row per attempt: the primary value of its latest reward that has one, by span sequence id
      // (a reward without one counts as earlier than any with one), then time (the span's end),
      // then trace and span id so that a tie still has one answer. APO, Baseline, the dashboard,
      // the triplet export and the trainer's final reward all read this view.
      `CREATE VIEW final_rewards AS
        SELECT rollout_id, attempt_id, value, name, span_id, trace_id, sequence_id, time
        FROM span_rewards
        WHERE is_primary AND rollout_id IS NOT NULL
        QUALIFY row_number() OVER (
          PARTITION BY rollout_id, attempt_id
          ORDER BY sequence_id DESC NULLS LAST, time_unix_nano DESC, trace_id DESC, span_id DESC) = 1`,
    ],
  },
  {
    version: 8,
    description: 'logs, log_llm_messages and metric_points (OTLP logs and metrics); llm_calls takes messages from GenAI log events',
    statements: [
      // One row per OTLP log record. `time` is the event's time, else (when the sender left it 0)
      // the time its SDK observed it, as the log data model says; both nanoseconds are kept.
      `CREATE TABLE logs (
        time_unix_nano BIGINT NOT NULL,
        observed_time_unix_nano BIGINT NOT NULL,
        time TIMESTAMP GENERATED ALWAYS AS (
          make_timestamp((CASE WHEN time_unix_nano = 0 THEN observed_time_unix_nano ELSE time_unix_nano END) // 1000)) VIRTUAL,
        observed_time TIMESTAMP GENERATED ALWAYS AS (make_timestamp(observed_time_unix_nano // 1000)) VIRTUAL,
        trace_id VARCHAR,
        span_id VARCHAR,
        severity_number INTEGER NOT NULL,
        severity_text VARCHAR,
        body JSON,
        attributes JSON NOT NULL,
        resource JSON NOT NULL,
        scope_name VARCHAR,
        scope_version VARCHAR,
        service_name VARCHAR,
        event_name VARCHAR,
        rollout_id VARCHAR,
        attempt_id VARCHAR,
        flags INTEGER NOT NULL,
        dropped_attributes_count INTEGER NOT NULL,
        received_at TIMESTAMP NOT NULL
      )`,
      // The OpenAI-format messages of each GenAI log event tied to a span (a message event, a choice,
      // or a whole inference-details event): what llm_calls adds to its span's call. Kept apart
      // from logs so that reading llm_calls never scans ordinary log lines.
      `CREATE TABLE log_llm_messages (
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        rollout_id VARCHAR,
        attempt_id VARCHAR,
        event_name VARCHAR NOT NULL,
        time_unix_nano BIGINT NOT NULL,
        -- The record's position in its export request: orders events of equal time and arrival.
        record_index INTEGER NOT NULL,
        choice_index INTEGER,
        input_messages JSON NOT NULL,
        output_messages JSON NOT NULL,
        finish_reasons JSON NOT NULL,
        received_at TIMESTAMP NOT NULL
      )`,
      // One row per OTLP metric data point. Gauges and sums have `value` (and `int_value` when the
      // point is an integer, exact); histograms, exponential histograms and summaries keep their
      // buckets or quantiles in `data` (JSON) with count and sum also as columns.
      `CREATE TABLE metric_points (
        metric_name VARCHAR NOT NULL,
        description VARCHAR,
        unit VARCHAR,
        kind VARCHAR NOT NULL,
        start_time_unix_nano BIGINT NOT NULL,
        time_unix_nano BIGINT NOT NULL,
        start_time TIMESTAMP GENERATED ALWAYS AS (make_timestamp(start_time_unix_nano // 1000)) VIRTUAL,
        time TIMESTAMP GENERATED ALWAYS AS (make_timestamp(time_unix_nano // 1000)) VIRTUAL,
        value DOUBLE,
        int_value BIGINT,
        count BIGINT,
        sum DOUBLE,
        min DOUBLE,
        max DOUBLE,
        data JSON,
        aggregation_temporality VARCHAR,
        is_monotonic BOOLEAN,
        flags INTEGER NOT NULL,
        attributes JSON NOT NULL,
        resource JSON NOT NULL,
        scope_name VARCHAR,
        scope_version VARCHAR,
        service_name VARCHAR,
        rollout_id VARCHAR,
        attempt_id VARCHAR,
        received_at TIMESTAMP NOT NULL
      )`,
      // An LLM call's messages come from its span when the span holds any, else from the GenAI log
      // events of the same trace and span id, whichever arrived first: inputs in event order (time,
      // arrival, position in the request), outputs by choice index. Rollout ids: the span's, else
      // the events'. `messages_source` says where the messages came from.
      `CREATE OR REPLACE VIEW llm_calls AS
        WITH log_messages AS (
          SELECT trace_id, span_id, any_value(rollout_id) AS rollout_id, any_value(attempt_id) AS attempt_id,
                 flatten(list(CAST(input_messages AS JSON[]) ORDER BY time_unix_nano, received_at, record_index)) AS inputs,
                 flatten(list(CAST(output_messages AS JSON[]) ORDER BY choice_index NULLS LAST, time_unix_nano, received_at, record_index)) AS outputs
          FROM log_llm_messages
          GROUP BY trace_id, span_id
        )
        SELECT coalesce(c.rollout_id, l.rollout_id) AS rollout_id, coalesce(c.attempt_id, l.attempt_id) AS attempt_id,
               c.span_id, c.trace_id, c.sequence_id, c.model,
               CASE WHEN json_array_length(c.input_messages) = 0 AND len(l.inputs) > 0 THEN to_json(l.inputs)
                    ELSE c.input_messages END AS input_messages,
               CASE WHEN json_array_length(c.output_messages) = 0 AND len(l.outputs) > 0 THEN to_json(l.outputs)
                    ELSE c.output_messages END AS output_messages,
               c.input_tokens, c.output_tokens, c.convention, c.details, c.start_time, c.end_time,
               (c.end_time_unix_nano - c.start_time_unix_nano) / 1e6 AS duration_ms,
               CASE WHEN json_array_length(c.input_messages) > 0 OR json_array_length(c.output_messages) > 0 THEN 'span'
                    WHEN len(l.inputs) > 0 OR len(l.outputs) > 0 THEN 'logs'
                    ELSE 'none' END AS messages_source
        FROM span_llm_calls c
        LEFT JOIN log_messages l ON l.trace_id = c.trace_id AND l.span_id = c.span_id`,
    ],
  },
  {
    version: 9,
    description: 'llm_calls gathers the log events of the calls it reads only (rollout ids from the span)',
    statements: [
      // Version 8 grouped every GenAI log event before it could filter: a read of one rollout's
      // calls took ~600 ms with 60,000 events. Gathered per call (a lateral subquery, which DuckDB
      // runs for the calls that pass the filter), it takes ~20 ms. For that the rollout ids are the
      // span's own (a filter on them reaches the table): our span processor and the ingest rules
      // put them on spans, while log events often carry none.
      `CREATE OR REPLACE VIEW llm_calls AS
        SELECT c.rollout_id, c.attempt_id, c.span_id, c.trace_id, c.sequence_id, c.model,
               CASE WHEN json_array_length(c.input_messages) = 0 AND len(l.inputs) > 0 THEN to_json(l.inputs)
                    ELSE c.input_messages END AS input_messages,
               CASE WHEN json_array_length(c.output_messages) = 0 AND len(l.outputs) > 0 THEN to_json(l.outputs)
                    ELSE c.output_messages END AS output_messages,
               c.input_tokens, c.output_tokens, c.convention, c.details, c.start_time, c.end_time,
               (c.end_time_unix_nano - c.start_time_unix_nano) / 1e6 AS duration_ms,
               CASE WHEN json_array_length(c.input_messages) > 0 OR json_array_length(c.output_messages) > 0 THEN 'span'
                    WHEN len(l.inputs) > 0 OR len(l.outputs) > 0 THEN 'logs'
                    ELSE 'none' END AS messages_source
        FROM span_llm_calls c
        LEFT JOIN LATERAL (
          SELECT flatten(list(CAST(m.input_messages AS JSON[]) ORDER BY m.time_unix_nano, m.received_at, m.record_index)) AS inputs,
                 flatten(list(CAST(m.output_messages AS JSON[]) ORDER BY m.choice_index NULLS LAST, m.time_unix_nano, m.received_at, m.record_index)) AS outputs
          FROM log_llm_messages m
          WHERE m.trace_id = c.trace_id AND m.span_id = c.span_id
        ) l ON true`,
    ],
  },
  {
    version: 10,
    description: 'table_migrations: the history of the tables that modules own (APO: apo_rounds)',
    statements: [
      // A module outside storage declares its own tables (see owned-tables.ts). apo_rounds was
      // created by migrations 3 and 6 before that: a file that has it, with those columns, has
      // APO's migrations 1 and 2 already.
      `CREATE TABLE table_migrations (
        owner VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        description VARCHAR NOT NULL,
        applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (owner, version)
      )`,
      `INSERT INTO table_migrations (owner, version, description)
        SELECT 'apo', 1, 'apo_rounds: the scores of every round of an APO training'
        WHERE EXISTS (SELECT 1 FROM duckdb_tables() WHERE table_name = 'apo_rounds')`,
      `INSERT INTO table_migrations (owner, version, description)
        SELECT 'apo', 2, 'apo_rounds: failed rollouts, critiques written without LLM calls, and the run fingerprint'
        WHERE EXISTS (SELECT 1 FROM duckdb_columns() WHERE table_name = 'apo_rounds' AND column_name = 'run_fingerprint')`,
    ],
  },
];
