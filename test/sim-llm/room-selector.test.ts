import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { SimLlmServer } from '../../src/sim-llm/index.ts';
import {
  BASELINE_TEMPLATE,
  expectedScore,
  fillTemplate,
  fittingRooms,
  FULL_RULES_TEMPLATE,
  getRoomsAndAvailability,
  gradeChoice,
  ROOM_TOOL,
  ROOMS,
  runRoomTask,
  scoreTemplate,
  startSim,
  TASKS,
} from './room-harness.ts';
import { ROOM_PARAPHRASE_CHAINS } from './paraphrases.ts';

/**
 * The room-selector behaviour through the OpenAI SDK: the tutorial's two calls, the task's own
 * constraints honoured whatever the wording, the rules a model cannot guess applied as stated (in
 * paraphrase too), monotonic in the rules, seeded noise, and the calibration on all 57 tasks.
 */

let server: SimLlmServer;
let client: OpenAI;
before(async () => ({ server, client } = await startSim()));
after(() => server.close());

const roomById = new Map(ROOMS.map((room) => [room.id, room]));

describe('room selector: the two calls', () => {
  it('first calls get_rooms_and_availability with the slot, then answers from the tool result', async () => {
    const task = TASKS.find((candidate) => candidate.expected_choice !== 'No Room')!;
    const first = await client.chat.completions.create({
      model: 'gpt-4.1-nano',
      messages: [
        { role: 'system', content: 'You are a scheduling assistant.' },
        { role: 'user', content: fillTemplate(FULL_RULES_TEMPLATE, task.task_input) },
      ],
      tools: [ROOM_TOOL],
      tool_choice: 'auto',
      temperature: 0,
    });
    assert.equal(first.model, 'gpt-4.1-nano', 'the requested model name is echoed');
    assert.equal(first.system_fingerprint, 'agl-sim-llm');
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    const calls = first.choices[0].message.tool_calls ?? [];
    assert.equal(calls.length, 1);
    assert.equal(calls[0].type, 'function');
    if (calls[0].type !== 'function') return;
    assert.equal(calls[0].function.name, 'get_rooms_and_availability');
    assert.deepEqual(JSON.parse(calls[0].function.arguments), {
      date: task.task_input.date,
      time: task.task_input.time,
      duration_min: task.task_input.duration_min,
    });
    assert.ok(first.usage && first.usage.prompt_tokens > 20 && first.usage.completion_tokens > 0);
    assert.equal(first.usage.total_tokens, first.usage.prompt_tokens + first.usage.completion_tokens);

    const run = await runRoomTask(client, FULL_RULES_TEMPLATE, task);
    assert.equal(run.toolCalled, true);
    assert.match(run.answer ?? '', /^final_choice: \w+\nreason: .+/);
    assert.equal(gradeChoice(run.answer), task.expected_choice);
  });

  it('does not call the tool when tool_choice is none, and without a tool answers generically', async () => {
    const task = TASKS[0];
    const response = await client.chat.completions.create({
      model: 'sim-room-selector',
      messages: [{ role: 'user', content: fillTemplate(BASELINE_TEMPLATE, task.task_input) }],
      tools: [ROOM_TOOL],
      tool_choice: 'none',
    });
    assert.equal(response.choices[0].message.tool_calls, undefined);
    assert.match(response.choices[0].message.content ?? '', /simulated/);
  });
});

describe('room selector: the task honoured, the rules a model cannot guess as stated', () => {
  it('answers in the format the prompt asks for: final_choice, a bare room id, or prose', async () => {
    const task = TASKS.find((candidate) => fittingRooms(candidate.task_input).length === 1)!;
    const bare = await runRoomTask(client, `${FULL_RULES_TEMPLATE.split('\nReturn strictly')[0]}\nReply with only the room name.`, task);
    assert.ok(roomById.has(bare.answer ?? ''), `a bare room id, got ${bare.answer}`);
    const prose = await runRoomTask(client, FULL_RULES_TEMPLATE.split('\nReturn strictly')[0], task);
    assert.doesNotMatch(prose.answer ?? '', /final_choice/);
    assert.ok((prose.answer ?? '').split(' ').length > 4, `prose, got ${prose.answer}`);
    assert.ok(roomById.has(gradeChoice(prose.answer) ?? ''), `prose names a room: ${prose.answer}`);
  });

  it('honours the task whatever its wording: the issue 16 paraphrase scores like the baseline, not far below it', async () => {
    const paraphrase = ROOM_PARAPHRASE_CHAINS[0].steps[0];
    const { score, runs } = await scoreTemplate(client, paraphrase);
    const baseline = await scoreTemplate(client, BASELINE_TEMPLATE);
    assert.ok(score >= baseline.score - 0.1, `paraphrase ${score} vs baseline ${baseline.score}`);
    let violating = 0;
    for (const [index, run] of runs.entries()) {
      const room = roomById.get(gradeChoice(run.answer) ?? '');
      if (room && !fittingRooms(TASKS[index].task_input).some((fitting) => fitting.id === room.id) && fittingRooms(TASKS[index].task_input).length > 0) violating++;
    }
    assert.ok(violating <= 0.15 * runs.length, `the equipment, capacity and accessibility the task states are kept (${violating} slips)`);
  });

  it('with the tie-breaks stated ranks the fitting rooms by them, in the stated order', async () => {
    const slackFirst = 'Book {date} {time}, {duration_min} minutes, {attendees} attendees. Needs: {needs}. Accessible required: {accessible_required}. Prefer the smallest capacity slack, then the shortest distance. If none of the rooms fits, say No Room. final_choice: <ROOM_ID>';
    const distanceFirst = 'Book {date} {time}, {duration_min} minutes, {attendees} attendees. Needs: {needs}. Accessible required: {accessible_required}. Prefer the shortest distance, then the smallest capacity slack. If none of the rooms fits, say No Room. final_choice: <ROOM_ID>';
    let tied = 0;
    let slackBest = 0;
    let distanceBest = 0;
    let differ = 0;
    for (const task of TASKS) {
      const fitting = fittingRooms(task.task_input);
      if (fitting.length < 2) continue;
      tied++;
      const a = roomById.get(gradeChoice((await runRoomTask(client, slackFirst, task)).answer)!);
      const b = roomById.get(gradeChoice((await runRoomTask(client, distanceFirst, task)).answer)!);
      if (a && a.capacity === Math.min(...fitting.map((room) => room.capacity))) slackBest++;
      if (b && b.distance_m === Math.min(...fitting.map((room) => room.distance_m))) distanceBest++;
      if (a?.id !== b?.id) differ++;
    }
    assert.ok(slackBest >= 0.85 * tied, `slack first: ${slackBest}/${tied}`);
    assert.ok(distanceBest >= 0.85 * tied, `distance first: ${distanceBest}/${tied}`);
    assert.ok(differ > 0, 'the order changes some answers');
  });

  it('cannot apply accessibility or equipment the prompt does not give', async () => {
    const withoutAccessibility = 'Find a room on {date} at {time} for {duration_min} minutes, {attendees} attendees. Needs: {needs}. Prefer the smallest capacity slack. If nothing fits, answer No Room. final_choice: <ROOM_ID>';
    const withAccessibility = `${withoutAccessibility} Accessible required: {accessible_required}`;
    const withoutNeeds = 'Find a room on {date} at {time} for {duration_min} minutes, {attendees} attendees. Accessible required: {accessible_required}. Prefer the smallest capacity slack. If nothing fits, answer No Room. final_choice: <ROOM_ID>';
    let inaccessibleWithout = 0;
    let inaccessibleWith = 0;
    let lackingWithout = 0;
    for (const task of TASKS) {
      const without = roomById.get(gradeChoice((await runRoomTask(client, withoutAccessibility, task)).answer)!);
      const withRule = roomById.get(gradeChoice((await runRoomTask(client, withAccessibility, task)).answer)!);
      if (task.task_input.accessible_required) {
        if (without && !without.accessible) inaccessibleWithout++;
        if (withRule && !withRule.accessible) inaccessibleWith++;
      }
      const noNeeds = roomById.get(gradeChoice((await runRoomTask(client, withoutNeeds, task)).answer)!);
      if (noNeeds && !task.task_input.needs.every((need) => noNeeds.equipment.includes(need))) lackingWithout++;
    }
    assert.ok(inaccessibleWithout > inaccessibleWith + 2, `accessibility applied when the task says it: ${inaccessibleWithout} inaccessible without, ${inaccessibleWith} with`);
    assert.ok(lackingWithout > 0, 'without the needs some tasks get a room lacking equipment');
  });

  it('answers No Room when told to; unprompted it mostly offers a partial match', async () => {
    const noRoomTasks = TASKS.filter((task) => fittingRooms(task.task_input).length === 0);
    assert.ok(noRoomTasks.length >= 10);
    const withoutNoRoom = FULL_RULES_TEMPLATE.split('\n').filter((line) => !line.startsWith('If no room')).join('\n');
    let told = 0;
    let unprompted = 0;
    for (const task of noRoomTasks) {
      if (gradeChoice((await runRoomTask(client, FULL_RULES_TEMPLATE, task)).answer) === 'No Room') told++;
      if (gradeChoice((await runRoomTask(client, withoutNoRoom, task)).answer) === 'No Room') unprompted++;
    }
    assert.ok(told >= 0.85 * noRoomTasks.length, `told: ${told}/${noRoomTasks.length}`);
    assert.ok(unprompted < 0.5 * noRoomTasks.length, `unprompted: ${unprompted}/${noRoomTasks.length}`);
  });

  it('recognises paraphrased rules', async () => {
    const paraphrases = [
      'Book a meeting space for {attendees} people on {date} at {time} ({duration_min} minutes). Needs: {needs}. Accessible required: {accessible_required}.\nHard constraints: available for the slot, big enough, equipped with everything needed, step-free when accessibility is needed.\nAmong the candidates pick the right-sized room with the fewest spare seats; next, the fewest unnecessary features; next, the nearest one; finally the one with the fewest bookings that day.\nWhen nothing qualifies reply No Room.\nRoom: <id>',
      'Meeting on {date}, {time}, lasting {duration_min} minutes with {attendees} participants. Needs: {needs}. Accessible required: {accessible_required}.\nTie-break scoring, lower is better: capacity_slack = capacity - attendees, extra_equipment, distance_m, booked blocks that day.\nIf none of the rooms satisfies the constraints, return No Room.\nfinal_choice: <ROOM_ID>',
    ];
    for (const template of paraphrases) {
      assert.ok(expectedScore(template) >= 0.95, `paraphrase expected ${expectedScore(template)}: ${template.slice(0, 60)}`);
      const { score } = await scoreTemplate(client, template);
      assert.ok(score >= 0.9, `paraphrase scored ${score}: ${template.slice(0, 60)}`);
    }
  });
});

describe('room selector: monotonic in the rules stated (paraphrases written before the recognition)', () => {
  it('adding a correct rule never lowers the expected score, at temperature 0 and 1', () => {
    for (const chain of ROOM_PARAPHRASE_CHAINS) {
      for (const temperature of [0, 1]) {
        const scores = chain.steps.map((step) => expectedScore(step, temperature));
        for (let index = 1; index < scores.length; index++) {
          assert.ok(scores[index] >= scores[index - 1] - 1e-9, `${chain.name} at T=${temperature}, step ${index}: ${scores[index - 1].toFixed(3)} → ${scores[index].toFixed(3)}\n${chain.steps[index]}`);
        }
        assert.ok(scores.at(-1)! >= scores[0] + 0.25, `${chain.name}: the rules help (${scores[0].toFixed(3)} → ${scores.at(-1)!.toFixed(3)})`);
        assert.ok(scores[0] >= 0.45 && scores[0] <= 0.65, `${chain.name}: the bare task is honoured (${scores[0].toFixed(3)})`);
      }
    }
  });
});

describe('room selector: seeded noise', () => {
  it('temperature 0 is deterministic whatever the seed; temperature 1 varies by seed, reproducibly, around the expected score', async () => {
    const tasks = TASKS;
    const other = await startSim({ seed: 5 });
    try {
      const a = await scoreTemplate(client, BASELINE_TEMPLATE, tasks);
      const b = await scoreTemplate(other.client, BASELINE_TEMPLATE, tasks);
      assert.deepEqual(a.runs.map((run) => run.answer), b.runs.map((run) => run.answer));
    } finally {
      await other.server.close();
    }
    const scores: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const sim = await startSim({ seed });
      try {
        const first = await scoreTemplateAt(sim.client, BASELINE_TEMPLATE, 1);
        const again = await scoreTemplateAt(sim.client, BASELINE_TEMPLATE, 1);
        assert.equal(first, again, 'the same seed and request give the same answers');
        scores.push(first);
      } finally {
        await sim.server.close();
      }
    }
    const mean = scores.reduce((sum, score) => sum + score, 0) / scores.length;
    assert.ok(new Set(scores).size > 1, `scores vary by seed: ${scores}`);
    assert.ok(Math.abs(mean - expectedScore(BASELINE_TEMPLATE, 1)) < 0.06, `mean ${mean} vs expected ${expectedScore(BASELINE_TEMPLATE, 1)}`);
  });

  it('slips more often the vaguer the prompt and the higher the temperature', () => {
    const vague = 1 - expectedScore(BASELINE_TEMPLATE.replace('Needs', 'If nothing fits, say No Room. Prefer the smallest capacity slack. Needs'), 0);
    const precise = 1 - expectedScore(FULL_RULES_TEMPLATE, 0);
    assert.ok(precise > 0 && precise < vague, `errors: precise ${precise}, vaguer ${vague}`);
    assert.ok(expectedScore(FULL_RULES_TEMPLATE, 1) < expectedScore(FULL_RULES_TEMPLATE, 0));
    assert.ok(expectedScore(BASELINE_TEMPLATE, 2) < expectedScore(BASELINE_TEMPLATE, 1));
  });
});

describe('room selector: calibration on the 57 tasks', () => {
  it('scores the tutorial baseline at 0.53–0.57 (the tutorial\'s real-model baseline) and a prompt stating every rule at ≥ 0.93 (expected ≥ 0.95)', async () => {
    assert.equal(TASKS.length, 57);
    const baseline = await scoreTemplate(client, BASELINE_TEMPLATE);
    const full = await scoreTemplate(client, FULL_RULES_TEMPLATE);
    assert.ok(baseline.score >= 0.53 && baseline.score <= 0.57, `baseline ${baseline.score}`);
    assert.ok(expectedScore(BASELINE_TEMPLATE) >= 0.53 && expectedScore(BASELINE_TEMPLATE) <= 0.6, `expected baseline ${expectedScore(BASELINE_TEMPLATE)}`);
    assert.ok(full.score >= 0.93, `full rules ${full.score}`);
    assert.ok(expectedScore(FULL_RULES_TEMPLATE) >= 0.95, `expected full rules ${expectedScore(FULL_RULES_TEMPLATE)}`);
    assert.ok(expectedScore(FULL_RULES_TEMPLATE) < 1, 'even a complete prompt leaves room for a slip');
    assert.ok(baseline.runs.every((run) => run.toolCalled) && full.runs.every((run) => run.toolCalled));
  });
});

/** The mean exact-match reward of a template with both calls at `temperature`. */
async function scoreTemplateAt(client: OpenAI, template: string, temperature: number): Promise<number> {
  let total = 0;
  for (const task of TASKS) {
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You are a scheduling assistant.' },
      { role: 'user', content: fillTemplate(template, task.task_input) },
    ];
    const first = await client.chat.completions.create({ model: 'm', messages, tools: [ROOM_TOOL], tool_choice: 'auto', temperature, seed: 1 });
    const call = first.choices[0].message.tool_calls![0];
    if (call.type !== 'function') throw new Error('not a function call');
    const args = JSON.parse(call.function.arguments) as { date: string; time: string; duration_min: number };
    messages.push({ role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: JSON.stringify(getRoomsAndAvailability(args.date, args.time, args.duration_min)) });
    const second = await client.chat.completions.create({ model: 'm', messages, temperature, seed: 1 });
    if (gradeChoice(second.choices[0].message.content) === task.expected_choice) total++;
  }
  return total / TASKS.length;
}
