import OpenAI from 'openai';
import { APO, PromptTemplate, Trainer } from '../../src/index.ts';
import type { ApoOptions, ApoResult } from '../../src/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import type { Logger } from '../../src/logging/index.ts';
import { BASELINE_PROMPT, createRoomSelectorAgent } from './room-agent.ts';
import { TRAIN_TASKS, VAL_TASKS } from './room-data.ts';
import type { RoomTask } from './room-data.ts';

/** Options of {@link trainRoomSelector}. */
export interface TrainRoomSelectorOptions {
  /** The model server (OpenAI-compatible), e.g. `http://127.0.0.1:8000/v1`. */
  baseURL: string;
  /** @default 'sim' */
  apiKey?: string;
  /** The agent's model. @default 'gpt-4.1-nano' */
  agentModel?: string;
  /** APO settings. @default the tutorial's: val batch 10, gradient batch 4, beam 2, branch 2, 2 rounds */
  apo?: ApoOptions<RoomTask>;
  /** @default 8 */
  nRunners?: number;
  /** Keep the DuckDB file here (and resume from it). @default a temporary file */
  dbPath?: string;
  /** @default the 28 training tasks */
  trainDataset?: readonly RoomTask[];
  /** @default the 29 validation tasks */
  valDataset?: readonly RoomTask[];
  logger?: Logger;
  signal?: AbortSignal;
}

/** The tutorial's APO settings. */
export const TUTORIAL_APO_OPTIONS: ApoOptions<RoomTask> = { valBatchSize: 10, gradientBatchSize: 4, beamWidth: 2, branchFactor: 2, beamRounds: 2 };

/** Trains the room selector's prompt with APO, the agent and the optimizer both on `baseURL`. */
export async function trainRoomSelector(options: TrainRoomSelectorOptions): Promise<ApoResult> {
  const openai = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey ?? 'sim' });
  const agent = createRoomSelectorAgent({ openai, model: options.agentModel });
  const trainer = new Trainer<RoomTask, ApoResult>({
    algorithm: new APO<RoomTask>(openai, { ...TUTORIAL_APO_OPTIONS, ...options.apo }),
    nRunners: options.nRunners ?? 8,
    dbPath: options.dbPath,
    initialResources: { prompt_template: new PromptTemplate(BASELINE_PROMPT) },
    runner: { minPollIntervalMillis: 20, maxPollIntervalMillis: 100 },
    logger: options.logger ?? createLogger('info'),
  });
  return trainer.fit(agent, { trainDataset: options.trainDataset ?? TRAIN_TASKS, valDataset: options.valDataset ?? VAL_TASKS, signal: options.signal });
}
