import { useState } from 'react';
import { api } from '../api.ts';
import type { Attempt, RolloutDetail } from '../api.ts';
import { Empty, ErrorBox, JsonBlock, Status, formatAgo, formatDuration, formatTime } from '../components.tsx';
import { Link } from '../router.tsx';
import { useApi } from '../use-api.ts';

const CANCELLABLE = ['queuing', 'requeuing', 'preparing', 'running'];

/** One rollout: input, timing, attempts (each opening its trace), every reward dimension. */
export function RolloutDetailPage({ rolloutId }: { rolloutId: string }) {
  const path = `/v1/agl/dashboard/rollouts/${encodeURIComponent(rolloutId)}`;
  const { data, error, reload } = useApi<RolloutDetail>(path, ['rollouts', 'spans']);
  const [actionError, setActionError] = useState<Error | null>(null);
  if (error) return <ErrorBox error={error} />;
  if (!data) return <div className="muted">Loading…</div>;
  const { rollout, attempts, rewards } = data;
  const cancel = async () => {
    try {
      await api(`/v1/agl/rollouts/${encodeURIComponent(rolloutId)}/cancel`, { method: 'POST', body: {} });
      setActionError(null);
      reload();
    } catch (caught) {
      setActionError(caught as Error);
    }
  };
  return (
    <section>
      <div className="crumbs"><Link to="/rollouts">Rollouts</Link> / {rollout.rollout_id}</div>
      <h1>
        Rollout {rollout.rollout_id} <Status value={rollout.status} />
      </h1>
      {CANCELLABLE.includes(rollout.status) ? <button type="button" onClick={() => void cancel()}>Cancel rollout</button> : null}
      {actionError ? <ErrorBox error={actionError} /> : null}
      <div className="cards">
        <div className="card"><div className="label">mode</div>{rollout.mode ?? '—'}</div>
        <div className="card">
          <div className="label">resources</div>
          {rollout.resources_id ? <Link to={`/resources?a=${encodeURIComponent(rollout.resources_id)}`}>{rollout.resources_id}</Link> : '—'}
        </div>
        <div className="card"><div className="label">started</div>{formatTime(rollout.start_time)}</div>
        <div className="card">
          <div className="label">duration</div>
          {rollout.end_time ? formatDuration((rollout.end_time - rollout.start_time) * 1000) : 'running'}
        </div>
        <div className="card"><div className="label">attempts</div>{rollout.attempt_count} of {rollout.max_attempts}</div>
      </div>
      <h2>Attempts</h2>
      {attempts.length === 0 ? <Empty title="No attempt yet: the rollout waits in the queue." /> : (
        <table className="grid" data-testid="attempts-table">
          <thead>
            <tr><th>#</th><th>attempt</th><th>status</th><th>worker</th><th>started</th><th>duration</th><th>last heartbeat</th><th>spans</th><th>LLM calls</th><th></th></tr>
          </thead>
          <tbody>
            {attempts.map((attempt) => (
              <tr key={attempt.attempt_id}>
                <td className="num">{attempt.sequence_id}</td>
                <td>{attempt.attempt_id}</td>
                <td><Status value={attempt.status} /></td>
                <td className="ellipsis">{attempt.worker_id ?? '—'}</td>
                <td>{formatTime(attempt.start_time)}</td>
                <td className="num">{attempt.end_time ? formatDuration((attempt.end_time - attempt.start_time) * 1000) : '—'}</td>
                <td>{formatAgo(attempt.last_heartbeat_time)}</td>
                <td className="num">{attempt.span_count}</td>
                <td className="num">{attempt.llm_call_count}</td>
                <td>
                  <Link to={`/rollouts/${encodeURIComponent(rolloutId)}/attempts/${encodeURIComponent(attempt.attempt_id)}`}>trace</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Rewards</h2>
      {rewards.length === 0 ? <Empty title="No reward recorded." /> : (
        <table className="grid" data-testid="rewards-table">
          <thead><tr><th>attempt</th><th>dimension</th><th>value</th><th>primary</th><th>time</th></tr></thead>
          <tbody>
            {rewards.map((reward) => (
              <tr key={`${reward.span_id}-${reward.reward_index}`}>
                <td>{reward.attempt_id}</td>
                <td>{reward.name}</td>
                <td className="num">{reward.value}</td>
                <td>{reward.is_primary ? 'yes' : ''}</td>
                <td>{formatTime(reward.time)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <AttemptErrors attempts={attempts} />
      <h2>Input</h2>
      <JsonBlock value={rollout.input} />
      {rollout.metadata ? (<><h2>Metadata</h2><JsonBlock value={rollout.metadata} /></>) : null}
    </section>
  );
}

/** What a failed attempt's runner recorded (`metadata.error`). */
interface AttemptError {
  type?: string;
  message?: string;
  origin?: string | null;
  stack?: string | null;
}

function errorOf(attempt: Attempt): AttemptError | null {
  const error = (attempt.metadata as { error?: unknown } | null)?.error;
  return typeof error === 'object' && error !== null ? (error as AttemptError) : null;
}

/** The exception of each failed attempt: class, message, where it was thrown, and the stack. */
function AttemptErrors({ attempts }: { attempts: Attempt[] }) {
  const failed = attempts.flatMap((attempt) => {
    const error = errorOf(attempt);
    return error ? [{ attempt, error }] : [];
  });
  if (failed.length === 0) return null;
  return (
    <>
      <h2>Exception{failed.length > 1 ? 's' : ''}</h2>
      {failed.map(({ attempt, error }) => (
        <div key={attempt.attempt_id} data-testid="attempt-error">
          <div className="error">
            <strong>{error.type ?? 'Error'}</strong>: {error.message ?? '(no message)'}
            {error.origin ? <div className="small">at {error.origin} · attempt {attempt.sequence_id} ({attempt.attempt_id})</div> : <div className="small">attempt {attempt.sequence_id} ({attempt.attempt_id})</div>}
          </div>
          {error.stack ? <pre className="json">{error.stack}</pre> : null}
        </div>
      ))}
    </>
  );
}
