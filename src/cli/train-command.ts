import { PromptTemplate } from '../agent/index.ts';
import { DatasetError, PromptRenderError, loadDataset, renderPromptForTask, splitDataset } from '../trainer/index.ts';
import { UsageError } from './sql-command.ts';
import { runTraining } from './train-run.ts';
import type { TrainData } from './train-run.ts';
import { resolveTrainSettings } from './train-settings.ts';
import type { TrainSettings } from './train-settings.ts';

export { TRAIN_USAGE } from './train-settings.ts';

/**
 * `agl train`: resolves the settings (flags over `--config` over an example's preset), loads the
 * datasets, renders the prompt for the first training task, then runs the training. Resolves with
 * the exit code: 0 done, 1 failed (a dataset that does not parse, a prompt that does not render,
 * a baseline whose rollouts all fail), 2 usage, 130 stopped by Ctrl-C.
 */
export async function trainCommand(args: string[]): Promise<number> {
  const settings = await resolveTrainSettings(args);
  if (settings === null) return 0;
  let data: TrainData;
  try {
    data = loadTrainData(settings);
    renderPromptForTask(new PromptTemplate(settings.prompt), data.train[0]);
  } catch (error) {
    if (error instanceof DatasetError || error instanceof PromptRenderError) {
      process.stderr.write(`agl train: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  return runTraining(settings, data);
}

/** The training and validation tasks: `--val-dataset`, or the last `--val-fraction` of `--dataset`, or none. */
function loadTrainData(settings: TrainSettings): TrainData {
  const tasks = loadDataset(settings.datasetPath);
  if (settings.valDatasetPath !== null) return { train: tasks, val: loadDataset(settings.valDatasetPath) };
  if (settings.valFraction !== null) {
    if (tasks.length < 2) throw new UsageError(`--val-fraction needs at least 2 tasks in ${settings.datasetPath}, got ${tasks.length}`);
    const { train, val } = splitDataset(tasks, settings.valFraction);
    return { train, val };
  }
  return { train: tasks, val: undefined };
}
