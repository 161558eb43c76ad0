import { queryString } from '../api.ts';
import type { Page, SpanSummary } from '../api.ts';
import { Empty, ErrorBox, Pager, Status, formatDuration, formatTime } from '../components.tsx';
import { Link, setQuery } from '../router.tsx';
import { useApi } from '../use-api.ts';

/** Traces by their root spans, newest first, by service, rollout or not, and time. */
export function TracesPage({ query }: { query: URLSearchParams }) {
  const filters = {
    service: query.get('service'),
    rollout: query.get('rollout'),
    since: query.get('since'),
    until: query.get('until'),
    cursor: query.get('cursor'),
  };
  const services = useApi<{ items: { service_name: string | null; span_count: number }[] }>('/v1/agl/dashboard/services');
  const toApiTime = (value: string | null) => (value ? String(Date.parse(value) / 1000) : null);
  const { data, error } = useApi<Page<SpanSummary>>(
    `/v1/agl/dashboard/traces${queryString({ ...filters, since: toApiTime(filters.since), until: toApiTime(filters.until), limit: 50 })}`,
    ['spans'],
  );
  return (
    <section>
      <h1>Traces</h1>
      <div className="filters">
        <select aria-label="service" value={filters.service ?? ''} onChange={(event) => setQuery({ service: event.target.value, cursor: null })}>
          <option value="">any service</option>
          {(services.data?.items ?? []).filter((item) => item.service_name).map((item) => (
            <option key={item.service_name} value={item.service_name!}>{item.service_name} ({item.span_count.toLocaleString()} spans)</option>
          ))}
        </select>
        <select aria-label="rollout" value={filters.rollout ?? ''} onChange={(event) => setQuery({ rollout: event.target.value, cursor: null })}>
          <option value="">with or without a rollout</option>
          <option value="without">without a rollout</option>
          <option value="with">of a rollout</option>
        </select>
        <label>from <input type="datetime-local" aria-label="since" value={filters.since ?? ''} onChange={(event) => setQuery({ since: event.target.value, cursor: null })} /></label>
        <label>to <input type="datetime-local" aria-label="until" value={filters.until ?? ''} onChange={(event) => setQuery({ until: event.target.value, cursor: null })} /></label>
      </div>
      {error ? <ErrorBox error={error} /> : null}
      {data && data.items.length === 0 ? <Empty title="No traces match." >Send spans to this collector over OTLP (POST /v1/traces).</Empty> : null}
      {data && data.items.length > 0 ? (
        <>
          <table className="grid" data-testid="traces-table">
            <thead><tr><th>root span</th><th>service</th><th>status</th><th>started</th><th>duration</th><th>spans</th><th>errors</th><th>rollout</th></tr></thead>
            <tbody>
              {data.items.map((row) => (
                <tr key={`${row.trace_id}:${row.span_id}`}>
                  <td><Link to={`/traces/${row.trace_id}?span=${row.trace_id}:${row.span_id}`}>{row.name}</Link></td>
                  <td>{row.service_name ?? '—'}</td>
                  <td><Status value={row.status_code} /></td>
                  <td>{formatTime(row.start_ms / 1000)}</td>
                  <td className="num">{formatDuration(row.duration_ms)}</td>
                  <td className="num">{row.span_count}</td>
                  <td className="num">{row.error_count}</td>
                  <td>{row.rollout_id ? <Link to={`/rollouts/${encodeURIComponent(row.rollout_id)}`}>{row.rollout_id}</Link> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager cursor={filters.cursor} next={data.next_cursor} shown={data.items.length} />
        </>
      ) : null}
    </section>
  );
}
