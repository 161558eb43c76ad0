import type { ChatMessage, LlmCall, SpanDetail } from '../api.ts';
import { ErrorBox, JsonBlock, KeyValues, Status, formatDuration } from '../components.tsx';
import { useApi } from '../use-api.ts';

/** One span: its fields, attributes, events, resource, rewards, and its LLM call as a conversation. */
export function SpanPanel({ traceId, spanId }: { traceId: string; spanId: string }) {
  const { data, error } = useApi<SpanDetail>(`/v1/agl/dashboard/spans/${encodeURIComponent(traceId)}/${encodeURIComponent(spanId)}`);
  if (error) return <ErrorBox error={error} />;
  if (!data) return <div className="muted">Loading…</div>;
  const { span, llm_call: llmCall, rewards } = data;
  return (
    <div className="span-panel" data-testid="span-panel">
      <h2>{span.name}</h2>
      <div className="cards">
        <div className="card"><div className="label">status</div><Status value={span.status_code} /> {span.status_message ?? ''}</div>
        <div className="card"><div className="label">duration</div>{formatDuration(span.duration_ms)}</div>
        <div className="card"><div className="label">kind</div>{span.kind}</div>
        <div className="card"><div className="label">service</div>{span.service_name ?? '—'}</div>
      </div>
      <div className="muted small">trace {span.trace_id} · span {span.span_id}{span.parent_span_id ? ` · parent ${span.parent_span_id}` : ''}</div>
      {llmCall ? <Conversation call={llmCall} /> : null}
      {rewards.length > 0 ? (
        <>
          <h3>Rewards</h3>
          <KeyValues value={Object.fromEntries(rewards.map((reward) => [`${reward.name}${reward.is_primary ? ' (primary)' : ''}`, reward.value]))} />
        </>
      ) : null}
      <h3>Attributes</h3>
      <KeyValues value={span.attributes} />
      <h3>Events</h3>
      {span.events.length === 0 ? <div className="muted">none</div> : span.events.map((event, index) => (
        <div key={index} className="event">
          <strong>{event.name}</strong>
          <KeyValues value={event.attributes} />
        </div>
      ))}
      {span.links.length > 0 ? (<><h3>Links</h3><JsonBlock value={span.links} /></>) : null}
      <h3>Resource</h3>
      <KeyValues value={span.resource} />
    </div>
  );
}

/** An LLM call from `llm_calls`: OpenAI-format messages whatever convention the span came in. */
function Conversation({ call }: { call: LlmCall }) {
  return (
    <div className="conversation" data-testid="conversation">
      <h3>LLM call</h3>
      <div className="muted small">
        model {call.model ?? 'unknown'} · {call.input_tokens ?? '?'} input / {call.output_tokens ?? '?'} output tokens · convention {call.convention}
      </div>
      {call.input_messages.map((message, index) => <Message key={`in-${index}`} message={message} />)}
      {call.output_messages.map((message, index) => <Message key={`out-${index}`} message={message} output />)}
    </div>
  );
}

function Message({ message, output = false }: { message: ChatMessage; output?: boolean }) {
  const text = contentText(message.content);
  return (
    <div className={`message role-${message.role}${output ? ' output' : ''}`}>
      <div className="message-role">
        {message.role}
        {message.name ? ` (${message.name})` : ''}
        {message.tool_call_id ? ` · result of ${message.tool_call_id}` : ''}
        {output ? ' · response' : ''}
      </div>
      {text ? <div className="message-text">{text}</div> : null}
      {(message.tool_calls ?? []).map((call, index) => (
        <div className="tool-call" key={call.id ?? index}>
          <span className="tag">tool call</span> <strong>{call.function?.name ?? '?'}</strong>
          <pre className="json">{prettyArguments(call.function?.arguments)}</pre>
        </div>
      ))}
    </div>
  );
}

function contentText(content: unknown): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part === 'object' && part && 'text' in part ? String((part as { text: unknown }).text) : JSON.stringify(part))).join('\n');
  }
  return JSON.stringify(content, null, 2);
}

function prettyArguments(text: string | undefined): string {
  if (!text) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
