import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api.ts';
import type { Page, SpanSummary } from '../api.ts';
import { Empty, ErrorBox, formatDuration } from '../components.tsx';
import { Link, setQuery } from '../router.tsx';
import { useLiveTopics } from '../live.ts';
import { SpanPanel } from './span-panel.tsx';

interface Loaded {
  pages: { cursor: string | null; items: SpanSummary[]; next: string | null }[];
  error: Error | null;
}

/** The spans at `basePath` page by page (500 each): "load more" appends, live changes refresh the last page. */
function useSpanPages(basePath: string) {
  const [loaded, setLoaded] = useState<Loaded>({ pages: [], error: null });
  const current = useRef(loaded);
  current.current = loaded;
  const fetchPage = useCallback(
    async (index: number, cursor: string | null) => {
      try {
        const page = await api<Page<SpanSummary>>(`${basePath}?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        setLoaded((previous) => ({
          pages: [...previous.pages.slice(0, index), { cursor, items: page.items, next: page.next_cursor }],
          error: null,
        }));
      } catch (caught) {
        setLoaded((previous) => ({ ...previous, error: caught as Error }));
      }
    },
    [basePath],
  );
  useEffect(() => {
    setLoaded({ pages: [], error: null });
    void fetchPage(0, null);
  }, [fetchPage]);
  useLiveTopics(['spans'], () => {
    const pages = current.current.pages;
    const last = pages.length - 1;
    if (last >= 0 && pages[last].next === null) void fetchPage(last, pages[last].cursor);
  });
  const pages = loaded.pages;
  const next = pages.length > 0 ? pages[pages.length - 1].next : null;
  return {
    spans: pages.flatMap((page) => page.items),
    loaded: pages.length > 0,
    error: loaded.error,
    more: next === null ? null : () => void fetchPage(pages.length, next),
  };
}

interface Row {
  span: SpanSummary;
  depth: number;
}

/** Depth-first order of the spans (children by start time); spans whose parent is absent are roots. */
function treeRows(spans: SpanSummary[]): Row[] {
  const ids = new Set(spans.map((span) => span.span_id));
  const children = new Map<string | null, SpanSummary[]>();
  for (const span of spans) {
    const parent = span.parent_span_id && ids.has(span.parent_span_id) ? span.parent_span_id : null;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const rows: Row[] = [];
  const visit = (parent: string | null, depth: number) => {
    for (const span of children.get(parent) ?? []) {
      rows.push({ span, depth });
      if (depth < 64) visit(span.span_id, depth + 1);
    }
  };
  visit(null, 0);
  return rows;
}

/** A waterfall of spans with nesting, status and durations; clicking one opens it beside. */
export function Waterfall({ basePath, selected }: { basePath: string; selected: string | null }) {
  const { spans, loaded, error, more } = useSpanPages(basePath);
  if (error) return <ErrorBox error={error} />;
  if (!loaded) return <div className="muted">Loading…</div>;
  if (spans.length === 0) return <Empty title="No spans recorded for this attempt yet." />;
  const rows = treeRows(spans);
  const start = Math.min(...spans.map((span) => span.start_ms));
  const end = Math.max(...spans.map((span) => span.start_ms + span.duration_ms));
  const total = Math.max(end - start, 0.001);
  const [selectedTrace, selectedSpan] = selected?.split(':') ?? [null, null];
  return (
    <div className="trace-layout">
      <div className="waterfall" data-testid="waterfall">
        <div className="waterfall-head">
          <span>span</span>
          <span>0 — {formatDuration(total)}</span>
        </div>
        {rows.map(({ span, depth }) => {
          const left = ((span.start_ms - start) / total) * 100;
          const width = Math.max((span.duration_ms / total) * 100, 0.3);
          const isSelected = span.span_id === selectedSpan && span.trace_id === selectedTrace;
          return (
            <button
              type="button"
              key={`${span.trace_id}:${span.span_id}`}
              className={`waterfall-row${isSelected ? ' selected' : ''}`}
              onClick={() => setQuery({ span: `${span.trace_id}:${span.span_id}` }, { replace: true })}
            >
              <span className="waterfall-name" style={{ paddingLeft: `${depth * 14 + 4}px` }} title={span.name}>
                {span.llm_model !== null && span.llm_model !== undefined ? <span className="tag tag-llm">LLM</span> : null}
                {span.reward_count ? <span className="tag tag-reward">reward</span> : null}
                {span.name}
              </span>
              <span className="waterfall-track">
                <span className={`waterfall-bar bar-${span.status_code.toLowerCase()}`} style={{ left: `${left}%`, width: `${width}%` }} />
                <span className="waterfall-duration" style={{ left: `${Math.min(left + width, 88)}%` }}>
                  {formatDuration(span.duration_ms)}
                </span>
              </span>
            </button>
          );
        })}
        {more ? <button type="button" className="more" onClick={more}>Load more spans</button> : null}
        <div className="muted small">{spans.length} spans</div>
      </div>
      <div className="span-side">
        {selectedTrace && selectedSpan ? <SpanPanel traceId={selectedTrace} spanId={selectedSpan} /> : <Empty title="Select a span to see its attributes, events and LLM messages." />}
      </div>
    </div>
  );
}

/** The trace of one attempt of a rollout. */
export function AttemptTracePage({ rolloutId, attemptId, query }: { rolloutId: string; attemptId: string; query: URLSearchParams }) {
  const base = `/v1/agl/dashboard/rollouts/${encodeURIComponent(rolloutId)}/attempts/${encodeURIComponent(attemptId)}/spans`;
  return (
    <section>
      <div className="crumbs">
        <Link to="/rollouts">Rollouts</Link> / <Link to={`/rollouts/${encodeURIComponent(rolloutId)}`}>{rolloutId}</Link> / {attemptId}
      </div>
      <h1>Trace of attempt {attemptId}</h1>
      <Waterfall basePath={base} selected={query.get('span')} />
    </section>
  );
}

/** One trace by id (from the Traces page). */
export function TracePage({ traceId, query }: { traceId: string; query: URLSearchParams }) {
  return (
    <section>
      <div className="crumbs"><Link to="/traces">Traces</Link> / {traceId}</div>
      <h1>Trace {traceId}</h1>
      <Waterfall basePath={`/v1/agl/dashboard/traces/${encodeURIComponent(traceId)}/spans`} selected={query.get('span')} />
    </section>
  );
}
