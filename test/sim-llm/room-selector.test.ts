import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import type { SimLlmServer } from '../../src/sim-llm/index.ts';
import {
  BASELINE_TEMPLATE,
  fillTemplate,
  fittingRooms,
  FULL_RULES_TEMPLATE,
  gradeChoice,
  ROOM_TOOL,
  ROOMS,
  runRoomTask,
  scoreTemplate,
  startSim,
  TASKS,
} from './room-harness.ts';

/**
 * The room-selector behaviour through the OpenAI SDK: the tutorial's two calls, each rule applied
 * only when the prompt states it (in paraphrase too), and the calibration on all 57 tasks.
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

describe('room selector: rules applied only when stated', () => {
  it('answers in the format the prompt asks for: final_choice, a bare room id, or prose', async () => {
    const task = TASKS.find((candidate) => candidate.expected_choice !== 'No Room')!;
    const bare = await runRoomTask(client, `${FULL_RULES_TEMPLATE.split('\nReturn strictly')[0]}\nReply with only the room name.`, task);
    assert.equal(bare.answer, task.expected_choice);
    const prose = await runRoomTask(client, FULL_RULES_TEMPLATE.split('\nReturn strictly')[0], task);
    assert.doesNotMatch(prose.answer ?? '', /final_choice/);
    assert.ok((prose.answer ?? '').split(' ').length > 4, `prose, got ${prose.answer}`);
    assert.equal(gradeChoice(prose.answer), task.expected_choice);
  });

  it('without a tie-break rule picks the first fitting room in list order; with one, the best by it', async () => {
    const noTies = FULL_RULES_TEMPLATE.split('\n').filter((line) => !line.startsWith('Break ties')).join('\n');
    const distanceFirst = noTies.replace('If no room', 'Among rooms that qualify, prefer the nearest room. If no room');
    const tied = TASKS.filter((task) => fittingRooms(task.task_input).length >= 2);
    assert.ok(tied.length >= 10, 'the data has ties');
    for (const task of tied) {
      const fitting = fittingRooms(task.task_input);
      const plain = await runRoomTask(client, noTies, task);
      assert.equal(gradeChoice(plain.answer), fitting[0].id, `${task.id}: first fitting room in list order`);
      const nearest = await runRoomTask(client, distanceFirst, task);
      const shortest = Math.min(...fitting.map((room) => room.distance_m));
      assert.equal(roomById.get(gradeChoice(nearest.answer)!)?.distance_m, shortest, `${task.id}: nearest fitting room`);
    }
  });

  it('applies the tie-breaks in the order the prompt states them', async () => {
    const slackFirst = 'Book {date} {time}, {duration_min} minutes, {attendees} attendees. Needs: {needs}. Accessible required: {accessible_required}. Prefer the smallest capacity slack, then the shortest distance. If none of the rooms fits, say No Room. final_choice: <ROOM_ID>';
    const distanceFirst = 'Book {date} {time}, {duration_min} minutes, {attendees} attendees. Needs: {needs}. Accessible required: {accessible_required}. Prefer the shortest distance, then the smallest capacity slack. If none of the rooms fits, say No Room. final_choice: <ROOM_ID>';
    let differ = 0;
    for (const task of TASKS) {
      const fitting = fittingRooms(task.task_input);
      if (fitting.length < 2) continue;
      const a = gradeChoice((await runRoomTask(client, slackFirst, task)).answer)!;
      const b = gradeChoice((await runRoomTask(client, distanceFirst, task)).answer)!;
      const slack = (id: string) => roomById.get(id)!.capacity - task.task_input.attendees;
      assert.equal(slack(a), Math.min(...fitting.map((room) => room.capacity - task.task_input.attendees)), `${task.id}: slack first`);
      assert.equal(roomById.get(b)!.distance_m, Math.min(...fitting.map((room) => room.distance_m)), `${task.id}: distance first`);
      if (a !== b) differ++;
    }
    assert.ok(differ > 0, 'the order changes some answers');
  });

  it('ignores accessibility unless the prompt says it is required, and equipment unless the prompt lists the needs', async () => {
    const withoutAccessibility = 'Find a room on {date} at {time} for {duration_min} minutes, {attendees} attendees. Needs: {needs}. Prefer the smallest capacity slack. If nothing fits, answer No Room. final_choice: <ROOM_ID>';
    const withAccessibility = `${withoutAccessibility} Accessible required: {accessible_required}`;
    const withoutNeeds = 'Find a room on {date} at {time} for {duration_min} minutes, {attendees} attendees. Accessible required: {accessible_required}. Prefer the smallest capacity slack. If nothing fits, answer No Room. final_choice: <ROOM_ID>';
    let inaccessibleWithout = 0;
    let lackingWithout = 0;
    for (const task of TASKS) {
      const without = roomById.get(gradeChoice((await runRoomTask(client, withoutAccessibility, task)).answer)!);
      const withRule = roomById.get(gradeChoice((await runRoomTask(client, withAccessibility, task)).answer)!);
      if (task.task_input.accessible_required) {
        if (without && !without.accessible) inaccessibleWithout++;
        assert.ok(!withRule || withRule.accessible, `${task.id}: accessible when the prompt says it is required`);
      }
      const noNeeds = roomById.get(gradeChoice((await runRoomTask(client, withoutNeeds, task)).answer)!);
      if (noNeeds && !task.task_input.needs.every((need) => noNeeds.equipment.includes(need))) lackingWithout++;
    }
    assert.ok(inaccessibleWithout > 0, 'without the accessibility line some required-accessible tasks get an inaccessible room');
    assert.ok(lackingWithout > 0, 'without the needs some tasks get a room lacking equipment');
  });

  it('says No Room only when the prompt allows it; otherwise picks the closest partial match', async () => {
    const noRoomTasks = TASKS.filter((task) => fittingRooms(task.task_input).length === 0);
    assert.ok(noRoomTasks.length > 0);
    const withoutNoRoom = FULL_RULES_TEMPLATE.split('\n').filter((line) => !line.startsWith('If no room')).join('\n');
    for (const task of noRoomTasks.slice(0, 6)) {
      assert.equal(gradeChoice((await runRoomTask(client, FULL_RULES_TEMPLATE, task)).answer), 'No Room');
      const partial = gradeChoice((await runRoomTask(client, withoutNoRoom, task)).answer);
      assert.ok(partial && roomById.has(partial), `${task.id}: a real room, got ${partial}`);
    }
  });

  it('recognises paraphrased rules', async () => {
    const paraphrases = [
      'Book a meeting space for {attendees} people on {date} at {time} ({duration_min} minutes). Needs: {needs}. Accessible required: {accessible_required}.\nHard constraints: available for the slot, big enough, equipped with everything needed, step-free when accessibility is needed.\nAmong the candidates pick the right-sized room with the fewest spare seats; next, the fewest unnecessary features; next, the nearest one; finally the one with the fewest bookings that day.\nWhen nothing qualifies reply No Room.\nRoom: <id>',
      'Meeting on {date}, {time}, lasting {duration_min} minutes with {attendees} participants. Needs: {needs}. Accessible required: {accessible_required}.\nTie-break scoring, lower is better: capacity_slack = capacity - attendees, extra_equipment, distance_m, booked blocks that day.\nIf none of the rooms satisfies the constraints, return No Room.\nfinal_choice: <ROOM_ID>',
    ];
    for (const template of paraphrases) {
      const { score } = await scoreTemplate(client, template);
      assert.ok(score >= 0.95, `paraphrase scored ${score}: ${template.slice(0, 60)}`);
    }
  });
});

describe('room selector: calibration on the 57 tasks', () => {
  it('scores the tutorial baseline at 0.3–0.6 and a prompt stating every rule at ≥ 0.95 (exact match)', async () => {
    assert.equal(TASKS.length, 57);
    const baseline = await scoreTemplate(client, BASELINE_TEMPLATE);
    const full = await scoreTemplate(client, FULL_RULES_TEMPLATE);
    assert.ok(baseline.score >= 0.3 && baseline.score <= 0.6, `baseline ${baseline.score}`);
    assert.ok(full.score >= 0.95, `full rules ${full.score}`);
    assert.ok(baseline.runs.every((run) => run.toolCalled) && full.runs.every((run) => run.toolCalled));
  });
});
