import type { ServerResponse } from 'node:http';
import type { Database } from '../../src/storage/index.ts';
import type { RouteTable } from '../http/route-table.ts';
import { QueryParams, queryObjects } from './dashboard-sql.ts';

/** The parts of the data the dashboard shows; a change event names those that changed. */
export type DashboardTopic = 'rollouts' | 'spans' | 'resources' | 'workers' | 'training';

/** Options of {@link DashboardEvents}. */
export interface DashboardEventsOptions {
  /**
   * How often the data is checked for changes while someone listens.
   * @default 1000
   */
  intervalMillis?: number;
  /**
   * How often an idle stream gets a comment, so that proxies keep it open.
   * @default 15000
   */
  keepAliveMillis?: number;
}

// One cheap fingerprint per topic: counts, and an order-free hash of what a page shows of each row.
const FINGERPRINT_SQL = `SELECT
  (SELECT count(*) FROM spans)::VARCHAR AS spans,
  (SELECT count(*) || ':' || coalesce(bit_xor(hash(rollout_id, status, attempt_count, end_time)), 0) FROM rollouts)
    || '/' || (SELECT count(*) || ':' || coalesce(bit_xor(hash(attempt_id, status, end_time)), 0) FROM attempts) AS rollouts,
  (SELECT count(*) || ':' || coalesce(max(update_order), 0) FROM resources) AS resources,
  (SELECT count(*) || ':' || coalesce(bit_xor(hash(worker_id, status, current_rollout_id, last_heartbeat_time)), 0) FROM workers) AS workers,
  (SELECT count(*) || ':' || coalesce(max(completed_at), 0) FROM apo_rounds) AS training,
  (SELECT count(*) FROM spans)::DOUBLE AS span_count,
  (SELECT count(*) FROM rollouts)::DOUBLE AS rollout_count,
  (SELECT count(*) FILTER (WHERE status IN ('preparing', 'running')) FROM rollouts)::DOUBLE AS running_count`;

const TOPICS: readonly DashboardTopic[] = ['rollouts', 'spans', 'resources', 'workers', 'training'];

/**
 * `GET /v1/agl/dashboard/events`: server-sent events telling the dashboard what changed, so that its
 * pages reload what they show within a second or two, without polling each page's queries. One
 * timer checks a fingerprint of each topic (a single cheap query) while at least one stream is open
 * and sends `event: change` with `{topics, counts}` to every stream when something changed; each
 * stream starts with `event: ready` and the current counts.
 */
export class DashboardEvents {
  readonly #database: Database;
  readonly #intervalMillis: number;
  readonly #keepAliveMillis: number;
  readonly #streams = new Set<ServerResponse>();
  #timer: NodeJS.Timeout | null = null;
  #last: Record<string, unknown> | null = null;
  #checking = false;
  #closed = false;

  constructor(database: Database, options: DashboardEventsOptions = {}) {
    this.#database = database;
    this.#intervalMillis = options.intervalMillis ?? 1000;
    this.#keepAliveMillis = options.keepAliveMillis ?? 15_000;
  }

  /** Registers the event stream route on `routes`. */
  register(routes: RouteTable): void {
    routes.on('GET', '/v1/agl/dashboard/events', async ({ url, request, response }) => {
      new QueryParams(url, []);
      const snapshot = await this.#fingerprint();
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      });
      // A client that reconnects waits a second, not EventSource's default three.
      response.write(`retry: 1000\nevent: ready\ndata: ${JSON.stringify({ counts: snapshot.counts })}\n\n`);
      if (this.#closed) {
        response.end();
        return;
      }
      this.#last ??= snapshot.versions;
      this.#streams.add(response);
      const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), this.#keepAliveMillis);
      request.socket.setTimeout(0);
      response.on('close', () => {
        clearInterval(keepAlive);
        this.#streams.delete(response);
        if (this.#streams.size === 0) this.#stop();
      });
      this.#start();
    });
  }

  /** Ends every stream and stops checking. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#stop();
    for (const stream of this.#streams) stream.end();
    this.#streams.clear();
  }

  #start(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => void this.#check(), this.#intervalMillis);
    this.#timer.unref();
  }

  #stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#last = null;
  }

  async #check(): Promise<void> {
    if (this.#checking || this.#closed) return;
    this.#checking = true;
    try {
      const { versions, counts } = await this.#fingerprint();
      const last = this.#last;
      this.#last = versions;
      const topics = TOPICS.filter((topic) => last !== null && last[topic] !== versions[topic]);
      if (topics.length === 0) return;
      const message = `event: change\ndata: ${JSON.stringify({ topics, counts })}\n\n`;
      for (const stream of this.#streams) stream.write(message);
    } catch {
      // The database is closing, or a check failed: the next tick tries again.
    } finally {
      this.#checking = false;
    }
  }

  async #fingerprint(): Promise<{ versions: Record<string, unknown>; counts: Record<string, unknown> }> {
    const [row] = await queryObjects(this.#database, FINGERPRINT_SQL);
    const { span_count, rollout_count, running_count, ...versions } = row;
    return { versions, counts: { spans: span_count, rollouts: rollout_count, running: running_count } };
  }
}
