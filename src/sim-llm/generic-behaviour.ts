import { lastUserText } from './behaviour.ts';
import type { Behaviour } from './behaviour.ts';
import type { ResponseFormat } from './chat-types.ts';

/**
 * Anything else: a deterministic reply, marked as simulated, that echoes a short summary of the
 * last user message. With a JSON response format it returns a JSON object (filling a json_schema's
 * properties with placeholder values of the right types).
 */
export const genericBehaviour: Behaviour = {
  name: 'generic',
  respond(context) {
    const text = lastUserText(context.request.messages).replace(/\s+/g, ' ').trim();
    const summary = text.length > 160 ? `${text.slice(0, 157)}...` : text;
    const words = text ? text.split(' ').length : 0;
    const reply = `[agl-sim-llm: simulated reply] You said (${words} words): "${summary}"`;
    if (context.request.responseFormat.type === 'text') return { content: reply };
    return { content: JSON.stringify(jsonReply(context.request.responseFormat, reply)) };
  },
};

function jsonReply(format: ResponseFormat, reply: string): unknown {
  if (format.type === 'json_schema') return fillSchema(format.schema, reply);
  return { simulated: true, reply };
}

function fillSchema(schema: Record<string, unknown>, reply: string): unknown {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      return Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, fillSchema(property, reply)]));
    }
    case 'array':
      return [];
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return reply;
  }
}
