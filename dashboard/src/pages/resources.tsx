import { resourcesText } from '../api.ts';
import type { Page, ResourcesVersion } from '../api.ts';
import { Empty, ErrorBox, Pager, formatTime } from '../components.tsx';
import { Link, setQuery } from '../router.tsx';
import { useApi } from '../use-api.ts';
import { diffLines } from './diff.ts';

/** `resources_id` or `resources_id@version` (a query parameter) as an API path. */
function versionPath(reference: string): string {
  const at = reference.lastIndexOf('@');
  const [id, version] = at > 0 ? [reference.slice(0, at), reference.slice(at + 1)] : [reference, null];
  return `/v1/agl/dashboard/resources/${encodeURIComponent(id)}${version ? `?version=${encodeURIComponent(version)}` : ''}`;
}

/** Prompt versions (every version of every resources set), which rollouts used each, and a diff of any two. */
export function ResourcesPage({ query }: { query: URLSearchParams }) {
  const cursor = query.get('cursor');
  const a = query.get('a');
  const b = query.get('b');
  const { data, error } = useApi<Page<ResourcesVersion>>(`/v1/agl/dashboard/resources?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, ['resources', 'rollouts']);
  return (
    <section>
      <h1>Resources</h1>
      <p className="muted">Pick A and B to compare two versions; the rollouts count links to the rollouts that ran with a resources id.</p>
      {error ? <ErrorBox error={error} /> : null}
      {data && data.items.length === 0 ? <Empty title="No resources yet.">A training adds its prompt versions here (POST /v1/agl/resources).</Empty> : null}
      {data && data.items.length > 0 ? (
        <>
          <table className="grid" data-testid="resources-table">
            <thead><tr><th>A</th><th>B</th><th>resources id</th><th>version</th><th>updated</th><th>rollouts</th><th>prompt</th></tr></thead>
            <tbody>
              {data.items.map((item) => {
                const reference = `${item.resources_id}@${item.version}`;
                return (
                  <tr key={reference} className={reference === a || reference === b || item.resources_id === a ? 'selected' : ''}>
                    <td><input type="radio" name="a" aria-label={`A ${reference}`} checked={reference === a} onChange={() => setQuery({ a: reference }, { replace: true })} /></td>
                    <td><input type="radio" name="b" aria-label={`B ${reference}`} checked={reference === b} onChange={() => setQuery({ b: reference }, { replace: true })} /></td>
                    <td>{item.resources_id}</td>
                    <td className="num">{item.version}</td>
                    <td>{formatTime(item.update_time)}</td>
                    <td className="num">
                      <Link to={`/rollouts?resources_id=${encodeURIComponent(item.resources_id)}`}>{item.rollout_count ?? 0}</Link>
                      {item.rollout_count ? <span className="muted"> ({item.succeeded_count} ok)</span> : null}
                    </td>
                    <td className="ellipsis prompt-preview" title={resourcesText(item.resources)}>{resourcesText(item.resources).slice(0, 160)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <Pager cursor={cursor} next={data.next_cursor} shown={data.items.length} />
        </>
      ) : null}
      {a && b ? <Diff a={a} b={b} /> : a ? <Version reference={a} /> : null}
    </section>
  );
}

function Version({ reference }: { reference: string }) {
  const { data, error } = useApi<ResourcesVersion>(versionPath(reference));
  if (error) return <ErrorBox error={error} />;
  if (!data) return null;
  return (
    <div data-testid="version">
      <h2>{data.resources_id} version {data.version}</h2>
      <pre className="prompt">{resourcesText(data.resources)}</pre>
    </div>
  );
}

function Diff({ a, b }: { a: string; b: string }) {
  const left = useApi<ResourcesVersion>(versionPath(a));
  const right = useApi<ResourcesVersion>(versionPath(b));
  const error = left.error ?? right.error;
  if (error) return <ErrorBox error={error} />;
  if (!left.data || !right.data) return <div className="muted">Loading…</div>;
  const lines = diffLines(resourcesText(left.data.resources), resourcesText(right.data.resources));
  const added = lines.filter((line) => line.kind === 'added').length;
  const removed = lines.filter((line) => line.kind === 'removed').length;
  return (
    <div data-testid="diff">
      <h2>
        Diff {left.data.resources_id} v{left.data.version} → {right.data.resources_id} v{right.data.version}
      </h2>
      <div className="muted small">{added} lines added, {removed} removed</div>
      <pre className="diff">
        {lines.map((line, index) => (
          <div key={index} className={`diff-${line.kind}`}>
            {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
            {line.text}
          </div>
        ))}
      </pre>
    </div>
  );
}
