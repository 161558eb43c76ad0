import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { detectMathRules, detectRoomRules, MISSING_RULES_HEADING } from '../../src/sim-llm/index.ts';
import type { SimLlmServer } from '../../src/sim-llm/index.ts';
import { GENERIC_RULE_WORDINGS, MATH_RULE_WORDINGS, ROOM_RULE_WORDINGS, TIE_BREAK_FRAMES, TIE_BREAK_PHRASES } from '../../src/sim-llm/optimizer-rules.ts';
import { BASELINE_TEMPLATE, bracesBalanced, expectedScore, placeholders, runRoomTask, scoreTemplate, startSim, TASKS } from './room-harness.ts';
import type { RoomRun, RoomTaskRecord } from './room-harness.ts';

/**
 * The optimizer behaviours: APO's textual gradient (critique from experiments) and apply-edit
 * (new template from prompt + critique), through the OpenAI SDK.
 */

let server: SimLlmServer;
let client: OpenAI;
before(async () => ({ server, client } = await startSim({ seed: 7 })));
after(() => server.close());

interface ExperimentRecord {
  status: string;
  final_reward: number;
  messages: ChatCompletionMessageParam[];
  task_input?: RoomTaskRecord['task_input'];
}

async function experimentsFor(template: string, tasks: RoomTaskRecord[], withTaskInput = false): Promise<ExperimentRecord[]> {
  const runs: RoomRun[] = [];
  for (const task of tasks) runs.push(await runRoomTask(client, template, task));
  return runs.map((run, index) => ({
    status: 'succeeded',
    final_reward: run.reward,
    messages: run.messages,
    ...(withTaskInput ? { task_input: tasks[index].task_input } : {}),
  }));
}

/** Our gradient prompt: the template and the experiments as JSON. */
async function critique(template: string, experiments: unknown[], temperature = 1): Promise<string> {
  const response = await client.chat.completions.create({
    model: 'gpt-5-mini',
    temperature,
    messages: [
      { role: 'system', content: 'You review prompt templates. Explain what the failing experiments got wrong and which instruction the prompt is missing.' },
      { role: 'user', content: `## Current prompt template\n${template}\n\n## Experiments\n${JSON.stringify(experiments, null, 2)}` },
    ],
  });
  return response.choices[0].message.content ?? '';
}

/** An apply-edit prompt in the shape of Agent Lightning's first variant (markdown captions). */
async function edit(template: string, critiqueText: string, options: { temperature?: number; seed?: number } = {}): Promise<string> {
  const response = await client.chat.completions.create({
    model: 'gpt-4.1-mini',
    temperature: options.temperature ?? 1,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    messages: [
      { role: 'system', content: 'You will revise the current prompt using the critique. Return only the new prompt template. Keep the placeholders (in curly-brackets) as placeholders.' },
      { role: 'user', content: `# Current Prompt Template\n\n${template}\n\n# Critique\n\n${critiqueText}` },
    ],
  });
  return response.choices[0].message.content ?? '';
}

function missingSection(text: string): string {
  const at = text.indexOf(MISSING_RULES_HEADING);
  assert.ok(at >= 0, `the critique lists missing rules:\n${text}`);
  return text.slice(at);
}

describe('optimizer: textual gradient', () => {
  it('names the missing accessibility rule when rollouts chose inaccessible rooms', async () => {
    const template = 'Find a room on {date} at {time} for {duration_min} minutes, {attendees} attendees. Needs: {needs}. Prefer the smallest capacity slack. If nothing fits, answer No Room. final_choice: <ROOM_ID>';
    const all = await experimentsFor(template, TASKS.filter((task) => task.task_input.accessible_required), true);
    const experiments = [...all.filter((experiment) => experiment.final_reward === 0).slice(0, 3), ...all.filter((experiment) => experiment.final_reward === 1).slice(0, 2)];
    assert.ok(experiments.some((experiment) => experiment.final_reward === 0), 'some rollouts fail');
    const text = await critique(template, experiments, 0);
    const missing = missingSection(text);
    assert.match(missing, /accessib/i);
    // The prompt states No Room and the capacity slack; a passing rollout may still reveal a later tie-break it left to luck.
    assert.doesNotMatch(missing, /No Room:|capacity slack/i, 'no rule the prompt already states');
    assert.match(text, /not wheelchair accessible, although accessibility was required/);
  });

  it('names No Room, a deciding tie-break and the answer format for the tutorial baseline', async () => {
    const experiments = await experimentsFor(BASELINE_TEMPLATE, TASKS.slice(0, 30));
    const text = await critique(BASELINE_TEMPLATE, experiments, 0);
    const missing = missingSection(text);
    assert.match(missing, /No Room/);
    assert.match(missing, /capacity slack|extra equipment|distance|booked slots/);
    assert.match(missing, /final_choice/);
    // The baseline's failures are explained: a partial match, a lost tie-break, or a slip on a stated constraint.
    for (const line of text.split('\n').filter((candidate) => /^- Experiment \d+ \(reward 0\)/.test(candidate))) {
      assert.match(line, /No Room|capacity slack|extra equipment|distance|booked slots|accessib|equipment|seats|booked/, line);
    }
  });

  it('reads experiments rendered as text records too, and says so when every rollout succeeded', async () => {
    const experiments = await experimentsFor(BASELINE_TEMPLATE, TASKS.slice(0, 6));
    const rendered = experiments
      .map((experiment, index) => `Experiment ${index + 1}\nstatus: ${experiment.status}\nfinal_reward: ${experiment.final_reward}\nmessages: ${JSON.stringify(experiment.messages)}`)
      .join('\n\n');
    const response = await client.chat.completions.create({
      model: 'gpt-5-mini',
      temperature: 0,
      messages: [{ role: 'user', content: `Critique this prompt template based on the experiments.\nPrompt template:\n${BASELINE_TEMPLATE}\n\n${rendered}` }],
    });
    assert.match(missingSection(response.choices[0].message.content ?? ''), /No Room|capacity slack/);

    const passing = experiments.map((experiment) => ({ ...experiment, final_reward: 1, messages: experiment.messages.slice(0, 2) }));
    const allGood = await critique(BASELINE_TEMPLATE, passing, 0);
    assert.match(missingSection(allGood), /- none/);
  });
});

describe('optimizer: apply edit', () => {
  const critiqueText = [
    'The rollouts pick partial matches and arbitrary rooms.',
    MISSING_RULES_HEADING,
    '- No Room: the prompt does not say to answer "No Room" when no room satisfies every constraint.',
    '- Tie-breaks: prefer the smallest capacity slack (capacity minus attendees), then the least extra equipment, then the shortest distance, then the fewest booked slots that day.',
    '- Answer format: require "final_choice: <ROOM_ID>" and a one-line reason.',
  ].join('\n');

  it('keeps every placeholder, invents none, balances braces and adds the missing rules (temperature 0)', async () => {
    const next = await edit(BASELINE_TEMPLATE, critiqueText, { temperature: 0 });
    assert.deepEqual(placeholders(next), placeholders(BASELINE_TEMPLATE));
    assert.ok(bracesBalanced(next));
    assert.ok(next.startsWith(BASELINE_TEMPLATE));
    const rules = detectRoomRules(next);
    assert.equal(rules.noRoom, true);
    assert.deepEqual(rules.tieBreaks, ['capacitySlack', 'extraEquipment', 'distance', 'bookedSlots']);
    assert.equal(rules.format.kind, 'final_choice');
    assert.equal(await edit(BASELINE_TEMPLATE, critiqueText, { temperature: 0 }), next, 'temperature 0 is deterministic');
    assert.ok(expectedScore(next) >= 0.93, `expected ${expectedScore(next)}`);
    assert.ok((await scoreTemplate(client, next)).score >= 0.9);
  });

  it('at temperature > 0 varies the wording by seed, reproducibly, and sometimes adds only some rules', async () => {
    const edits: string[] = [];
    for (let seed = 0; seed < 12; seed++) edits.push(await edit(BASELINE_TEMPLATE, critiqueText, { seed }));
    assert.equal(await edit(BASELINE_TEMPLATE, critiqueText, { seed: 3 }), edits[3], 'same request and seed, same edit');
    assert.ok(new Set(edits).size >= 4, `varied edits, got ${new Set(edits).size} distinct`);
    let partial = 0;
    for (const next of edits) {
      assert.deepEqual(placeholders(next), placeholders(BASELINE_TEMPLATE));
      assert.ok(bracesBalanced(next));
      const rules = detectRoomRules(next);
      const added = Number(rules.noRoom) + Number(rules.tieBreaks.length > 0) + Number(rules.format.kind !== 'prose');
      assert.ok(added >= 1, 'at least one rule added');
      if (added < 3) partial++;
    }
    assert.ok(partial > 0 && partial < edits.length, `some edits partial (${partial} of ${edits.length})`);
  });

  it('every wording the edit may use is recognised as the rule it adds', () => {
    const expectations: [string, (text: string) => boolean][] = [
      ...ROOM_RULE_WORDINGS.noRoom.map((text) => [text, (t: string) => detectRoomRules(t).noRoom] as [string, (t: string) => boolean]),
      ...ROOM_RULE_WORDINGS.roomFormat.map((text) => [text, (t: string) => detectRoomRules(t).format.kind === 'final_choice'] as [string, (t: string) => boolean]),
      ...ROOM_RULE_WORDINGS.accessibility.map((text) => [text, (t: string) => detectRoomRules(t).accessibility] as [string, (t: string) => boolean]),
      ...ROOM_RULE_WORDINGS.equipment.map((text) => [text, (t: string) => detectRoomRules(t).equipment] as [string, (t: string) => boolean]),
      ...ROOM_RULE_WORDINGS.availability.map((text) => [text, (t: string) => detectRoomRules(t).availability] as [string, (t: string) => boolean]),
      ...ROOM_RULE_WORDINGS.capacity.map((text) => [text, (t: string) => detectRoomRules(t).capacity] as [string, (t: string) => boolean]),
      ...MATH_RULE_WORDINGS.mathInclusive.map((text) => [text, (t: string) => detectMathRules(t).inclusive] as [string, (t: string) => boolean]),
      ...MATH_RULE_WORDINGS.mathFormat.map((text) => [text, (t: string) => detectMathRules(t).format === 'answer_line'] as [string, (t: string) => boolean]),
    ];
    for (const [text, recognised] of expectations) assert.ok(recognised(text), `not recognised: ${text}`);
    for (const frame of [...TIE_BREAK_FRAMES.first, ...TIE_BREAK_FRAMES.more]) {
      for (let variant = 0; variant < 3; variant++) {
        const sentence = frame.replace('%s', (['capacitySlack', 'extraEquipment', 'distance', 'bookedSlots'] as const).map((key) => TIE_BREAK_PHRASES[key][variant]).join(', then '));
        assert.deepEqual(detectRoomRules(sentence).tieBreaks, ['capacitySlack', 'extraEquipment', 'distance', 'bookedSlots'], sentence);
        assert.equal(detectRoomRules(sentence).noRoom, false, sentence);
      }
    }
  });
});

describe('optimizer: one APO step on the simulated model', () => {
  it('baseline → critique from 4 train rollouts → edit scores higher on the validation tasks', async () => {
    const train = TASKS.slice(0, 28);
    const validation = TASKS.slice(28);
    const baseline = await scoreTemplate(client, BASELINE_TEMPLATE, validation);
    const experiments = await experimentsFor(BASELINE_TEMPLATE, train.slice(0, 4));
    const next = await edit(BASELINE_TEMPLATE, await critique(BASELINE_TEMPLATE, experiments, 1), { temperature: 0 });
    const improved = await scoreTemplate(client, next, validation);
    assert.ok(improved.score > baseline.score, `baseline ${baseline.score}, edited ${improved.score}:\n${next}`);
  });
});

describe('optimizer: experiments as llm_calls rows', () => {
  it('reads messages stored as JSON strings per LLM call (input_messages / output_messages)', async () => {
    const runs = [];
    for (const task of TASKS.slice(0, 6)) runs.push(await runRoomTask(client, BASELINE_TEMPLATE, task));
    const experiments = runs.map((run, index) => ({
      rollout_id: `ro-${index}`,
      status: 'succeeded',
      reward: run.reward,
      llm_calls: [
        { input_messages: JSON.stringify(run.messages.slice(0, 2)), output_messages: JSON.stringify([run.messages[2]]) },
        { input_messages: JSON.stringify(run.messages.slice(0, 4)), output_messages: JSON.stringify([run.messages[4]]) },
      ],
    }));
    assert.ok(experiments.some((experiment) => experiment.reward === 0));
    assert.match(missingSection(await critique(BASELINE_TEMPLATE, experiments, 0)), /No Room|capacity slack/);
  });
});

describe('optimizer: a task the simulator does not know', () => {
  // A support-ticket triage agent: neither rooms nor sums. The simulator cannot re-solve it, so it
  // must critique and edit in general terms, never with the room selector's rules.
  const TRIAGE_TEMPLATE = 'Triage this support ticket.\nSubject: {subject}\nBody: {body}\nCustomer tier: {tier}';
  const tickets = [
    { subject: 'Charged twice', body: 'My card was charged twice this month', tier: 'gold' },
    { subject: 'Cannot log in', body: 'The password reset email never arrives', tier: 'free' },
    { subject: 'Export fails', body: 'The export endpoint answers 500 since yesterday', tier: 'enterprise' },
    { subject: 'Refund', body: 'I want my money back for the annual plan', tier: 'free' },
  ];
  const ROOM_TEXT = /\brooms?\b|final_choice|ROOM_ID|No Room|capacity|accessib|tie-?break|Answer: </i;

  async function triageExperiments(): Promise<ExperimentRecord[]> {
    const experiments: ExperimentRecord[] = [];
    for (const [index, ticket] of tickets.entries()) {
      const content = TRIAGE_TEMPLATE.replace(/\{(\w+)\}/g, (_, key: keyof typeof ticket) => ticket[key]);
      const messages: ChatCompletionMessageParam[] = [{ role: 'user', content }];
      const reply = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages });
      messages.push({ role: 'assistant', content: reply.choices[0].message.content ?? '' });
      experiments.push({ status: 'succeeded', final_reward: index % 2, messages });
    }
    return experiments;
  }

  it('a gradient and an edit add general rules, keep every {placeholder} and write no room-selector text', async () => {
    const experiments = await triageExperiments();
    for (const temperature of [0, 1]) {
      const text = await critique(TRIAGE_TEMPLATE, experiments, temperature);
      assert.doesNotMatch(text, ROOM_TEXT, text);
      const missing = missingSection(text);
      assert.match(missing, /Requirements:/);
      assert.match(missing, /Answer format:/, 'the template fixes no answer format');
      assert.match(text, /Experiment 1 \(reward 0\): answered "/, 'the failing answers are quoted');
      for (const seed of temperature === 0 ? [undefined] : [0, 1, 2, 3, 4, 5]) {
        const next = await edit(TRIAGE_TEMPLATE, text, { temperature, seed });
        assert.ok(next.startsWith(TRIAGE_TEMPLATE), next);
        assert.notEqual(next, TRIAGE_TEMPLATE, 'something is added');
        assert.deepEqual(placeholders(next), placeholders(TRIAGE_TEMPLATE));
        assert.ok(bracesBalanced(next));
        assert.doesNotMatch(next, ROOM_TEXT, next);
      }
    }
  });

  it('an edit of an unknown-task prompt with a critique that only asks for an answer format adds a general format rule', async () => {
    const next = await edit(TRIAGE_TEMPLATE, `${MISSING_RULES_HEADING}\n- Answer format: the prompt sets no output format.`, { temperature: 0 });
    assert.equal(next, `${TRIAGE_TEMPLATE}\n\n${GENERIC_RULE_WORDINGS.genericFormat[0]}`);
    assert.doesNotMatch(next, ROOM_TEXT);
  });

  it('every generic wording is free of braces and of room-selector and math text', () => {
    for (const text of Object.values(GENERIC_RULE_WORDINGS).flat()) {
      assert.doesNotMatch(text, /[{}]/, text);
      assert.doesNotMatch(text, ROOM_TEXT, text);
      assert.equal(detectRoomRules(text).format.kind, 'prose', text);
    }
  });
});

