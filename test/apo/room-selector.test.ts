import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../src/logging/index.ts';
import { SimLlmServer } from '../../src/sim-llm/index.ts';
import { trainRoomSelector } from '../../examples/room-selector/train-room-selector.ts';
import { TRAIN_TASKS, VAL_TASKS } from '../../examples/room-selector/room-data.ts';
import { tempDir } from '../helpers/temp-dir.ts';

test('room selector: APO end to end on the simulated model beats the baseline', { timeout: 60_000 }, async () => {
  const sim = await SimLlmServer.start({ port: 0, seed: 0 });
  try {
    const result = await trainRoomSelector({
      baseURL: sim.baseURL,
      dbPath: join(tempDir(), 'agl.duckdb'),
      apo: { seed: 1 }, // the tutorial's settings: val batch 10, gradient batch 4, beam 2, branch 2, 2 rounds
      trainDataset: TRAIN_TASKS,
      valDataset: VAL_TASKS,
      logger: createLogger('warn'),
    });
    assert.ok(result.baselineScore !== null && result.bestScore !== null);
    assert.ok(result.bestScore > result.baselineScore, `best ${result.bestScore} should beat baseline ${result.baselineScore}`);
    assert.deepEqual(result.rounds.map((round) => round.round), [0, 1, 2]);
    for (const name of ['{date}', '{time}', '{duration_min}', '{attendees}', '{needs}', '{accessible_required}']) assert.ok(result.bestPrompt.template.includes(name), name);
  } finally {
    await sim.close();
  }
});
