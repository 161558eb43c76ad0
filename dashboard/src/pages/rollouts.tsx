import { useEffect, useState } from 'react';
import { queryString } from '../api.ts';
import type { Page, RolloutRow } from '../api.ts';
import { Empty, ErrorBox, Pager, Status, formatDuration, formatScore, formatTime } from '../components.tsx';
import { Link, setQuery } from '../router.tsx';
import { useApi } from '../use-api.ts';

const STATUSES = ['queuing', 'preparing', 'running', 'succeeded', 'failed', 'cancelled', 'requeuing'];
const MODES = ['train', 'val', 'test'];

/** Rollouts, newest first: filters, search and keyset pages, all in the URL. */
export function RolloutsPage({ query }: { query: URLSearchParams }) {
  const filters = {
    status: query.get('status'),
    mode: query.get('mode'),
    resources_id: query.get('resources_id'),
    q: query.get('q'),
    cursor: query.get('cursor'),
  };
  const { data, error } = useApi<Page<RolloutRow>>(`/v1/agl/dashboard/rollouts${queryString({ ...filters, limit: 50 })}`, ['rollouts']);
  const [search, setSearch] = useState(filters.q ?? '');
  useEffect(() => setSearch(filters.q ?? ''), [filters.q]);
  const filtered = Boolean(filters.status || filters.mode || filters.resources_id || filters.q);
  return (
    <section>
      <h1>Rollouts</h1>
      <div className="filters">
        <select aria-label="status" value={filters.status ?? ''} onChange={(event) => setQuery({ status: event.target.value, cursor: null })}>
          <option value="">any status</option>
          {STATUSES.map((status) => <option key={status}>{status}</option>)}
        </select>
        <select aria-label="mode" value={filters.mode ?? ''} onChange={(event) => setQuery({ mode: event.target.value, cursor: null })}>
          <option value="">any mode</option>
          {MODES.map((mode) => <option key={mode}>{mode}</option>)}
        </select>
        <input
          aria-label="resources id"
          placeholder="resources id"
          defaultValue={filters.resources_id ?? ''}
          key={filters.resources_id ?? ''}
          onKeyDown={(event) => {
            if (event.key === 'Enter') setQuery({ resources_id: event.currentTarget.value.trim(), cursor: null });
          }}
        />
        <form
          onSubmit={(event) => {
            event.preventDefault();
            setQuery({ q: search.trim(), cursor: null });
          }}
        >
          <input type="search" aria-label="search" placeholder="search id or input" value={search} onChange={(event) => setSearch(event.target.value)} />
          <button type="submit">Search</button>
        </form>
        {filtered ? (
          <button type="button" onClick={() => setQuery({ status: null, mode: null, resources_id: null, q: null, cursor: null })}>
            Clear filters
          </button>
        ) : null}
      </div>
      {error ? <ErrorBox error={error} /> : null}
      {data && data.items.length === 0 ? (
        <Empty title={filtered ? 'No rollout matches these filters.' : 'No rollouts yet.'}>
          {filtered ? null : 'Start a training (npx agl train room-selector) or enqueue rollouts through the store API.'}
        </Empty>
      ) : null}
      {data && data.items.length > 0 ? (
        <>
          <table className="grid" data-testid="rollouts-table">
            <thead>
              <tr>
                <th>rollout</th>
                <th>status</th>
                <th>mode</th>
                <th>resources</th>
                <th>reward</th>
                <th>attempts</th>
                <th>worker</th>
                <th>started</th>
                <th>duration</th>
                <th>input</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((row) => (
                <tr key={row.rollout_id}>
                  <td><Link to={`/rollouts/${encodeURIComponent(row.rollout_id)}`}>{row.rollout_id}</Link></td>
                  <td><Status value={row.status} /></td>
                  <td>{row.mode ?? '—'}</td>
                  <td>{row.resources_id ? <Link to={`/resources?a=${encodeURIComponent(row.resources_id)}`}>{row.resources_id}</Link> : '—'}</td>
                  <td className="num">{formatScore(row.reward)}</td>
                  <td className="num">{row.attempt_count}</td>
                  <td className="ellipsis">{row.worker_id ?? '—'}</td>
                  <td>{formatTime(row.start_time)}</td>
                  <td className="num">{row.end_time ? formatDuration((row.end_time - row.start_time) * 1000) : '—'}</td>
                  <td className="ellipsis input-preview" title={row.input_preview}>{row.input_preview}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager cursor={filters.cursor} next={data.next_cursor} shown={data.items.length} total={data.total} />
        </>
      ) : null}
    </section>
  );
}
