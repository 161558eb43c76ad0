import { useState } from 'react';
import { getToken } from './api.ts';
import { TokenForm } from './components.tsx';
import { useLiveState } from './live.ts';
import { Link, navigate, useLocation } from './router.tsx';
import { ResourcesPage } from './pages/resources.tsx';
import { RolloutDetailPage } from './pages/rollout-detail.tsx';
import { RolloutsPage } from './pages/rollouts.tsx';
import { AttemptTracePage, TracePage } from './pages/trace.tsx';
import { TracesPage } from './pages/traces.tsx';
import { TrainingPage } from './pages/training.tsx';
import { WorkersPage } from './pages/workers.tsx';

const NAV = [
  ['/rollouts', 'Rollouts'],
  ['/traces', 'Traces'],
  ['/resources', 'Resources'],
  ['/training', 'Training'],
  ['/workers', 'Workers'],
] as const;

function Page({ path, query }: { path: string; query: URLSearchParams }) {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) {
    queueMicrotask(() => navigate('/rollouts', { replace: true }));
    return null;
  }
  const [page, id, sub, subId] = parts;
  if (page === 'rollouts' && !id) return <RolloutsPage query={query} />;
  if (page === 'rollouts' && id && !sub) return <RolloutDetailPage key={id} rolloutId={id} />;
  if (page === 'rollouts' && id && sub === 'attempts' && subId) return <AttemptTracePage key={subId} rolloutId={id} attemptId={subId} query={query} />;
  if (page === 'traces' && !id) return <TracesPage query={query} />;
  if (page === 'traces' && id) return <TracePage key={id} traceId={id} query={query} />;
  if (page === 'resources') return <ResourcesPage query={query} />;
  if (page === 'training') return <TrainingPage query={query} />;
  if (page === 'workers') return <WorkersPage query={query} />;
  return <div className="error">No such page: {path}</div>;
}

/** The header (pages, live indicator, token) and the current page. */
export function App() {
  const { path, query } = useLocation();
  const live = useLiveState();
  const [showToken, setShowToken] = useState(false);
  return (
    <div className="app">
      <header>
        <span className="brand">⚡ Agent Lightning</span>
        <nav>
          {NAV.map(([to, label]) => (
            <Link key={to} to={to} className={path.startsWith(to) ? 'active' : ''}>{label}</Link>
          ))}
        </nav>
        <span className={`live ${live.connected ? 'on' : 'off'}`} data-testid="live" data-changes={live.changes}
          title={live.lastChangeAt ? `last change ${new Date(live.lastChangeAt).toLocaleTimeString()}` : 'no change yet'}>
          {live.connected ? '● live' : '○ offline'}
          {live.counts ? ` · ${live.counts.rollouts.toLocaleString()} rollouts (${live.counts.running} running) · ${live.counts.spans.toLocaleString()} spans` : ''}
        </span>
        <button type="button" className="token-button" onClick={() => setShowToken(!showToken)}>{getToken() ? 'Token ✓' : 'Token'}</button>
      </header>
      {showToken ? <TokenForm reason="The bearer token of agl serve --token (kept in this browser)." onDone={() => setShowToken(false)} /> : null}
      <main>
        <Page path={path} query={query} />
      </main>
    </div>
  );
}
