import type { Page, Worker } from '../api.ts';
import { Empty, ErrorBox, Pager, Status, formatAgo } from '../components.tsx';
import { Link } from '../router.tsx';
import { useApi } from '../use-api.ts';

/** Runners as the store sees them: status, last heartbeat, current rollout. */
export function WorkersPage({ query }: { query: URLSearchParams }) {
  const cursor = query.get('cursor');
  const { data, error } = useApi<Page<Worker>>(`/v1/agl/dashboard/workers?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, ['workers']);
  return (
    <section>
      <h1>Workers</h1>
      {error ? <ErrorBox error={error} /> : null}
      {data && data.items.length === 0 ? <Empty title="No workers yet.">Runners register when they start (agl runner, or a Trainer's runners).</Empty> : null}
      {data && data.items.length > 0 ? (
        <>
          <table className="grid" data-testid="workers-table">
            <thead><tr><th>worker</th><th>status</th><th>last heartbeat</th><th>current rollout</th><th>taken</th><th>succeeded</th><th>failed</th></tr></thead>
            <tbody>
              {data.items.map((worker) => (
                <tr key={worker.worker_id}>
                  <td>{worker.worker_id}</td>
                  <td><Status value={worker.status} /></td>
                  <td>{formatAgo(worker.last_heartbeat_time)}</td>
                  <td>
                    {worker.current_rollout_id ? <Link to={`/rollouts/${encodeURIComponent(worker.current_rollout_id)}`}>{worker.current_rollout_id}</Link> : '—'}
                  </td>
                  <td className="num">{String(worker.heartbeat_stats?.rollouts_taken ?? '—')}</td>
                  <td className="num">{String(worker.heartbeat_stats?.rollouts_succeeded ?? '—')}</td>
                  <td className="num">{String(worker.heartbeat_stats?.rollouts_failed ?? '—')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager cursor={cursor} next={data.next_cursor} shown={data.items.length} />
        </>
      ) : null}
    </section>
  );
}
