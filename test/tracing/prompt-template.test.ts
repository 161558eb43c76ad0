import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { AgentResources, LLM, PromptTemplate, PromptTemplateError, toNamedResources } from '../../src/agent/index.ts';
import { NotFoundError } from '../../src/errors/index.ts';
import { StoreClient } from '../../src/store/index.ts';
import { startTestCollector } from '../helpers/collector.ts';

/** Asserts that formatting throws a PromptTemplateError with this reason (and message pattern). */
function assertTemplateError(run: () => unknown, reason: string, pattern?: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof PromptTemplateError, `not a PromptTemplateError: ${String(error)}`);
    assert.equal(error.reason, reason);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

describe('PromptTemplate f-string', () => {
  const format = (template: string, values: Record<string, unknown>) => new PromptTemplate(template, 'f-string').format(values);

  it('substitutes named fields and unescapes doubled braces, as Python str.format', () => {
    // Python: '{{a}} {a} }}{{ {b[0]} {c.x}'.format(a=1, b=[5], c=...) == '{a} 1 }{ 5 2'
    assert.equal(format('{{a}} {a} }}{{ {b[0]} {c.x}', { a: 1, b: [5], c: { x: 2 } }), '{a} 1 }{ 5 2');
    assert.equal(format('Room for {guests} at {time}; JSON: {{"k": {guests}}}', { guests: 4, time: '9:00', unused: true }), 'Room for 4 at 9:00; JSON: {"k": 4}');
    assert.equal(format('{name!s} {items[key]}', { name: 'Ann', items: { key: 'v' } }), 'Ann v');
    assert.equal(format('{data}', { data: { a: [1, 2] } }), '{"a":[1,2]}');
    assert.equal(format('no fields', {}), 'no fields');
    assert.equal(new PromptTemplate('{x}').engine, 'f-string');
  });

  it('throws on a missing placeholder, naming it', () => {
    assertTemplateError(() => format('Hello {name}, room {room}', { name: 'Ann' }), 'missing_value', /'room'/);
    assert.throws(() => format('{who}', {}), (error: unknown) => error instanceof PromptTemplateError && error.placeholder === 'who');
    assertTemplateError(() => format('{a.b}', { a: {} }), 'missing_value', /'b'/);
  });

  it('throws on single braces and on what Python supports but this does not', () => {
    assertTemplateError(() => format('a } b', {}), 'syntax', /Single '\}'/);
    assertTemplateError(() => format('a { b', {}), 'syntax');
    assertTemplateError(() => format('{}', {}), 'unsupported', /Positional/);
    assertTemplateError(() => format('{0}', {}), 'unsupported', /Positional/);
    assertTemplateError(() => format('{score:.2f}', { score: 1 }), 'unsupported', /Format spec/);
    assertTemplateError(() => format('{score!r}', { score: 1 }), 'unsupported', /!r/);
  });
});

describe('PromptTemplate jinja subset', () => {
  const render = (template: string, values: Record<string, unknown>) => new PromptTemplate(template, 'jinja').format(values);

  it('substitutes {{ expressions }} with attribute and item access', () => {
    assert.equal(render('Hello {{ name }}, {{user.city}} {{ rooms[1] }} {{ rooms[-1] }} {{ map["k"] }}', { name: 'Ann', user: { city: 'Oslo' }, rooms: ['A', 'B', 'C'], map: { k: 'v' } }), 'Hello Ann, Oslo B C v');
    assert.equal(render('{{ a }}{# a comment #}{{ b }}', { a: 1, b: 'x' }), '1x');
  });

  it('supports if / elif / else, nested, with comparisons and boolean operators', () => {
    const template = '{% if guests > 10 %}hall{% elif guests >= 4 and projector %}meeting room{% elif not guests %}none{% else %}{% if quiet %}booth{% else %}desk{% endif %}{% endif %}';
    assert.equal(render(template, { guests: 12 }), 'hall');
    assert.equal(render(template, { guests: 5, projector: true }), 'meeting room');
    assert.equal(render(template, { guests: 5, projector: false, quiet: true }), 'booth');
    assert.equal(render(template, { guests: 0 }), 'none');
    assert.equal(render(template, { guests: 2 }), 'desk');
    assert.equal(render('{% if "b" in tags %}yes{% endif %}{% if x == "1" %}str{% endif %}', { tags: ['a', 'b'], x: 1 }), 'yes');
  });

  it('supports for loops with loop variables, else, whitespace control and filters', () => {
    const template = 'Rooms:\n{%- for room in rooms %}\n{{ loop.index }}. {{ room.name | upper }}{% if loop.last %}.{% endif %}\n{%- else %} none{% endfor %}';
    assert.equal(render(template, { rooms: [{ name: 'a' }, { name: 'b' }] }), 'Rooms:\n1. A\n2. B.');
    assert.equal(render(template, { rooms: [] }), 'Rooms: none');
    assert.equal(render('{{ xs | join(", ") }}|{{ xs | length }}|{{ missing | default("n/a") }}|{{ " x " | trim }}|{{ obj | tojson }}', { xs: ['a', 'b'], obj: { k: [1] } }), 'a, b|2|n/a|x|{"k":[1]}');
  });

  it('throws a clear error for undefined names and for anything outside the subset', () => {
    assertTemplateError(() => render('Hi {{ name }}', {}), 'missing_value', /name/);
    assertTemplateError(() => render('{{ user.city }}', { user: {} }), 'missing_value');
    assert.equal(render('{% if missing %}x{% else %}y{% endif %}', {}), 'y');
    assertTemplateError(() => render('{% set x = 1 %}{{ x }}', {}), 'unsupported', /set/);
    assertTemplateError(() => render('{% include "other" %}', {}), 'unsupported', /include/);
    assertTemplateError(() => render('{{ name.upper() }}', { name: 'a' }), 'unsupported', /calls/);
    assertTemplateError(() => render('{{ a | safe }}', { a: 1 }), 'unsupported', /filter 'safe'/);
    assertTemplateError(() => render('{{ a + 1 }}', { a: 1 }), 'unsupported');
    assertTemplateError(() => render('{% if a %}x', { a: 1 }), 'syntax', /endif/);
    assertTemplateError(() => render('{{ a }', { a: 1 }), 'syntax', /Unclosed/);
    assertTemplateError(() => render('{% endfor %}', {}), 'syntax');
    assertTemplateError(() => new PromptTemplate('<poml/>', 'poml').format({}), 'unsupported', /poml/);
    assert.throws(() => new PromptTemplate('x', 'mustache' as never), TypeError);
  });
});

describe('resources through the store', () => {
  let collector: Collector;
  let client: StoreClient;
  before(async () => {
    collector = await startTestCollector();
    client = new StoreClient({ baseUrl: collector.url });
  });
  after(() => collector.close());

  it('round-trips PromptTemplate and LLM through the store resources', async () => {
    const prompt = new PromptTemplate('Pick a room for {guests} guests.\n{{not a field}}', 'f-string');
    const jinja = new PromptTemplate('{% for r in rooms %}{{ r }}{% endfor %}', 'jinja');
    const llm = new LLM({ endpoint: 'http://127.0.0.1:9999/v1', model: 'sim-room', apiKey: 'k', samplingParameters: { temperature: 0.2, max_tokens: 64 } });
    const added = await client.addResources(toNamedResources({ prompt_template: prompt, helper: jinja, main_llm: llm }));
    const latest = await client.getLatestResources();
    assert.ok(latest);
    assert.equal(latest.resources_id, added.resources_id);
    assert.deepEqual(latest.resources.prompt_template, { resource_type: 'prompt_template', template: prompt.template, engine: 'f-string' });
    assert.deepEqual(latest.resources.main_llm, {
      resource_type: 'llm',
      endpoint: 'http://127.0.0.1:9999/v1',
      model: 'sim-room',
      api_key: 'k',
      sampling_parameters: { temperature: 0.2, max_tokens: 64 },
    });

    const resources = AgentResources.from(latest.resources, latest.resources_id);
    assert.ok(resources.prompt instanceof PromptTemplate);
    assert.deepEqual(resources.prompt, prompt);
    assert.equal(resources.prompt.format({ guests: 3 }), 'Pick a room for 3 guests.\n{not a field}');
    assert.equal(resources.getPromptTemplate('helper').format({ rooms: ['A', 'B'] }), 'AB');
    assert.deepEqual(resources.llm, llm);
    assert.equal(resources.resourcesId, added.resources_id);
    assert.deepEqual(resources.toNamedResources(), latest.resources);
    assert.deepEqual(JSON.parse(JSON.stringify(prompt)), prompt.toResource());

    // A new version, as an optimizer would write it.
    const updated = await client.updateResources(added.resources_id, toNamedResources({ ...resources.named, prompt_template: prompt.withTemplate('Better: {guests}') }));
    assert.equal(updated.version, 2);
    assert.equal(AgentResources.from(updated.resources).prompt.format({ guests: 5 }), 'Better: 5');
  });

  it('picks the prompt and LLM by convention, and says what is missing', () => {
    const single = new AgentResources({ system: new PromptTemplate('s'), model: { resource_type: 'proxy_llm', endpoint: 'http://proxy/v1', model: 'm' } });
    assert.equal(single.prompt.template, 's');
    assert.equal(single.llm.resourceType, 'proxy_llm');
    assert.equal(single.llm.baseUrl('ro-1', 'at-1'), 'http://proxy/rollout/ro-1/attempt/at-1/v1');
    const several = new AgentResources({ a: new PromptTemplate('a'), b: new PromptTemplate('b') });
    assert.throws(() => several.prompt, (error: unknown) => error instanceof NotFoundError && /several prompt templates/.test(error.message));
    assert.throws(() => new AgentResources().llm, (error: unknown) => error instanceof NotFoundError && /no LLM/.test(error.message));
    assert.throws(() => several.get('c'), /No resource named `c`; the rollout's resources are: a, b/);
    assert.throws(() => PromptTemplate.fromResource({ resource_type: 'llm' }), TypeError);
  });
});
