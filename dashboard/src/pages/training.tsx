import { resourcesText } from '../api.ts';
import type { ApoRound, Training } from '../api.ts';
import { Empty, ErrorBox, formatScore, formatTime } from '../components.tsx';
import { Link, setQuery } from '../router.tsx';
import { useApi } from '../use-api.ts';

/** The APO trajectory of a run (`apo_rounds`): chart, rounds and the best prompt. */
export function TrainingPage({ query }: { query: URLSearchParams }) {
  const runId = query.get('run_id');
  const { data, error } = useApi<Training>(`/v1/agl/dashboard/training${runId ? `?run_id=${encodeURIComponent(runId)}` : ''}`, ['training']);
  if (error) return <ErrorBox error={error} />;
  if (!data) return <div className="muted">Loading…</div>;
  if (data.rounds.length === 0) {
    return (
      <section>
        <h1>Training</h1>
        <Empty title="No APO training recorded yet.">Rounds appear here as an APO training completes them (npx agl train room-selector).</Empty>
      </section>
    );
  }
  const baseline = data.rounds[0].leader_val_score;
  return (
    <section>
      <h1>Training</h1>
      {data.runs.length > 1 ? (
        <select aria-label="run" value={data.run_id ?? ''} onChange={(event) => setQuery({ run_id: event.target.value })}>
          {data.runs.map((run) => <option key={run.run_id} value={run.run_id}>{run.run_id} ({run.rounds} rounds)</option>)}
        </select>
      ) : <div className="muted">run {data.run_id}</div>}
      <div className="cards">
        <div className="card"><div className="label">baseline validation</div><span className="big">{formatScore(baseline)}</span></div>
        <div className="card"><div className="label">best validation</div><span className="big">{formatScore(data.best?.val_score)}</span></div>
        <div className="card"><div className="label">rounds</div><span className="big">{data.rounds.length - 1}</span></div>
        <div className="card" data-testid="failed-rollouts"><div className="label">failed rollouts</div><span className="big">{data.rounds.reduce((sum, round) => sum + (round.failed_rollouts ?? 0), 0)}</span></div>
      </div>
      <Chart rounds={data.rounds} />
      <h2>Rounds</h2>
      <table className="grid" data-testid="rounds-table">
        <thead><tr><th>round</th><th>completed</th><th>leader</th><th>leader validation</th><th>best</th><th>best validation</th><th>beam (batch score)</th><th>refused edits</th><th>timed out</th><th>failed rollouts</th><th>critiques without LLM calls</th></tr></thead>
        <tbody>
          {data.rounds.map((round) => (
            <tr key={round.round}>
              <td>{round.round === 0 ? 'baseline' : round.round}</td>
              <td>{formatTime(round.completed_at)}</td>
              <td>{round.leader_resources_id ? <Link to={`/resources?a=${encodeURIComponent(round.leader_resources_id)}`}>{round.leader_resources_id}</Link> : '—'}</td>
              <td className="num">{formatScore(round.leader_val_score)}</td>
              <td>{round.best_resources_id ?? '—'}</td>
              <td className="num">{formatScore(round.best_val_score)}</td>
              <td>{round.beam.map((member) => `${member.resources_id} (${formatScore(member.val_batch_score)})`).join(', ')}</td>
              <td className="num">{round.rejected_edits}</td>
              <td className="num">{round.timed_out_rollouts}</td>
              <td className={`num${round.failed_rollouts ? ' status-failed' : ''}`}>{round.failed_rollouts ?? 0}</td>
              <td className="num">{round.critiques_without_llm_calls ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data.best ? (
        <>
          <h2>Best prompt <span className="muted small">{data.best.resources_id} · validation {formatScore(data.best.val_score)}</span></h2>
          {baseline !== null && data.rounds[0].leader_resources_id && data.best.resources_id !== data.rounds[0].leader_resources_id ? (
            <Link to={`/resources?a=${encodeURIComponent(data.rounds[0].leader_resources_id)}&b=${encodeURIComponent(data.best.resources_id)}`}>
              compare with the baseline prompt
            </Link>
          ) : null}
          <pre className="prompt" data-testid="best-prompt">{resourcesText(data.best.resources)}</pre>
        </>
      ) : null}
    </section>
  );
}

const WIDTH = 760;
const HEIGHT = 300;
const PAD = { left: 48, right: 44, top: 36, bottom: 36 };

/** Validation scores by round: leader and history best as lines, baseline dashed, candidates as dots (beam members filled). */
function Chart({ rounds }: { rounds: ApoRound[] }) {
  const scores = rounds.flatMap((round) => [round.leader_val_score, round.best_val_score, ...round.candidates.map((c) => c.val_batch_score)]);
  const known = scores.filter((score): score is number => score !== null);
  const low = Math.min(0, ...known);
  const high = Math.max(1, ...known);
  const last = Math.max(1, rounds[rounds.length - 1].round);
  const x = (round: number) => PAD.left + (round / last) * (WIDTH - PAD.left - PAD.right);
  const y = (score: number) => PAD.top + (1 - (score - low) / (high - low)) * (HEIGHT - PAD.top - PAD.bottom);
  const line = (pick: (round: ApoRound) => number | null) =>
    rounds.flatMap((round) => (pick(round) === null ? [] : [`${x(round.round)},${y(pick(round)!)}`])).join(' ');
  const baseline = rounds[0].leader_val_score;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((fraction) => low + fraction * (high - low));
  return (
    <svg className="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label="validation score by round" data-testid="chart">
      {ticks.map((tick) => (
        <g key={tick}>
          <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} className="grid-line" />
          <text x={PAD.left - 6} y={y(tick) + 4} textAnchor="end" className="axis">{tick.toFixed(2)}</text>
        </g>
      ))}
      {rounds.map((round) => (
        <text key={round.round} x={x(round.round)} y={HEIGHT - 12} textAnchor="middle" className="axis">
          {round.round === 0 ? 'baseline' : `round ${round.round}`}
        </text>
      ))}
      {baseline !== null ? <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(baseline)} y2={y(baseline)} className="baseline-line" /> : null}
      {rounds.flatMap((round) =>
        round.candidates.filter((c) => c.val_batch_score !== null).map((candidate, index) => (
          <circle key={`${round.round}-${index}`} cx={x(round.round) + (index - round.candidates.length / 2) * 4} cy={y(candidate.val_batch_score!)} r={4}
            className={candidate.kept ? 'dot-kept' : 'dot-dropped'}>
            <title>{`${candidate.resources_id}: ${formatScore(candidate.val_batch_score)} on the validation batch${candidate.kept ? ' (beam)' : ''}`}</title>
          </circle>
        )),
      )}
      <polyline points={line((round) => round.leader_val_score)} className="leader-line" />
      <polyline points={line((round) => round.best_val_score)} className="best-line" />
      {rounds.map((round) => round.best_val_score === null ? null : (
        <circle key={`best-${round.round}`} cx={x(round.round)} cy={y(round.best_val_score)} r={5} className="best-dot">
          <title>{`round ${round.round}: best ${formatScore(round.best_val_score)}, leader ${formatScore(round.leader_val_score)}`}</title>
        </circle>
      ))}
      <g className="legend" transform={`translate(${PAD.left + 8}, 8)`}>
        <line x1={0} x2={18} y1={6} y2={6} className="best-line" /><text x={22} y={10}>best (full validation)</text>
        <line x1={170} x2={188} y1={6} y2={6} className="leader-line" /><text x={192} y={10}>leader</text>
        <line x1={250} x2={268} y1={6} y2={6} className="baseline-line" /><text x={272} y={10}>baseline</text>
        <circle cx={345} cy={6} r={4} className="dot-kept" /><text x={353} y={10}>beam member (batch score)</text>
        <circle cx={530} cy={6} r={4} className="dot-dropped" /><text x={538} y={10}>dropped candidate</text>
      </g>
    </svg>
  );
}
