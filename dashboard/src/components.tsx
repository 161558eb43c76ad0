import { useState } from 'react';
import type { ReactNode } from 'react';
import { ApiError, getToken, setToken } from './api.ts';
import { setQuery } from './router.tsx';

/** Epoch seconds as a local date and time. */
export function formatTime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  return new Date(seconds * 1000).toLocaleString(undefined, { hour12: false });
}

/** A duration in milliseconds, with a unit that fits. */
export function formatDuration(millis: number | null | undefined): string {
  if (millis === null || millis === undefined || !Number.isFinite(millis)) return '—';
  if (millis < 1) return `${(millis * 1000).toFixed(0)} µs`;
  if (millis < 1000) return `${millis.toFixed(millis < 10 ? 2 : 0)} ms`;
  if (millis < 60_000) return `${(millis / 1000).toFixed(2)} s`;
  return `${(millis / 60_000).toFixed(1)} min`;
}

/** Seconds since `seconds` (epoch), e.g. "3 s ago". */
export function formatAgo(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return 'never';
  const ago = Math.max(0, Date.now() / 1000 - seconds);
  if (ago < 60) return `${ago.toFixed(0)} s ago`;
  if (ago < 3600) return `${(ago / 60).toFixed(0)} min ago`;
  return `${(ago / 3600).toFixed(1)} h ago`;
}

export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toFixed(3);
}

export function Status({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="muted">—</span>;
  return <span className={`status status-${value.toLowerCase()}`}>{value}</span>;
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" data-testid="empty">
      <strong>{title}</strong>
      {children ? <div>{children}</div> : null}
    </div>
  );
}

/** An error from the API; a 401 asks for the token right there. */
export function ErrorBox({ error }: { error: Error }) {
  if (error instanceof ApiError && error.status === 401) return <TokenForm reason="This collector requires a token (agl serve --token)." />;
  return (
    <div className="error" role="alert">
      {error instanceof ApiError ? `${error.status}: ` : ''}
      {error.message}
    </div>
  );
}

export function TokenForm({ reason, onDone }: { reason?: string; onDone?: () => void }) {
  const [value, setValue] = useState(getToken());
  return (
    <form
      className="token-form"
      onSubmit={(event) => {
        event.preventDefault();
        setToken(value.trim());
        onDone?.();
      }}
    >
      {reason ? <div>{reason}</div> : null}
      <input type="password" placeholder="Bearer token" aria-label="token" value={value} onChange={(event) => setValue(event.target.value)} />
      <button type="submit">Use token</button>
      {getToken() ? (
        <button type="button" onClick={() => { setToken(''); setValue(''); onDone?.(); }}>
          Forget token
        </button>
      ) : null}
    </form>
  );
}

/** Previous / next for keyset pages whose cursor is the page's `cursor` query parameter. */
export function Pager({ cursor, next, shown, total }: { cursor: string | null; next: string | null; shown: number; total?: number }) {
  const [stack, setStack] = useState<(string | null)[]>([]);
  return (
    <div className="pager">
      <button type="button" disabled={cursor === null} onClick={() => { setStack([]); setQuery({ cursor: null }); }}>
        First
      </button>
      <button
        type="button"
        disabled={cursor === null}
        onClick={() => {
          const previous = stack.length > 0 ? stack[stack.length - 1] : null;
          setStack(stack.slice(0, -1));
          setQuery({ cursor: previous });
        }}
      >
        Previous
      </button>
      <button
        type="button"
        disabled={next === null}
        onClick={() => {
          setStack([...stack, cursor]);
          setQuery({ cursor: next });
        }}
      >
        Next
      </button>
      <span className="muted">
        {shown} shown{total !== undefined ? ` of ${total.toLocaleString()}` : ''}
      </span>
    </div>
  );
}

/** A JSON value, pretty-printed. */
export function JsonBlock({ value }: { value: unknown }) {
  return <pre className="json">{typeof value === 'string' ? value : JSON.stringify(value, null, 2)}</pre>;
}

/** A two-column table of an object's keys and values. */
export function KeyValues({ value }: { value: Record<string, unknown> | null | undefined }) {
  const entries = Object.entries(value ?? {});
  if (entries.length === 0) return <div className="muted">none</div>;
  return (
    <table className="kv">
      <tbody>
        {entries.map(([key, item]) => (
          <tr key={key}>
            <th>{key}</th>
            <td>{typeof item === 'string' ? item : JSON.stringify(item)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
