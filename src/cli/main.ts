import { exportCommand, EXPORT_USAGE } from './export-command.ts';
import { runnerCommand, RUNNER_USAGE } from './runner-command.ts';
import { serveCommand, SERVE_USAGE } from './serve-command.ts';
import { simLlmCommand, SIM_LLM_USAGE } from './sim-llm-command.ts';
import { sqlCommand, SQL_USAGE, UsageError } from './sql-command.ts';
import { trainCommand, TRAIN_USAGE } from './train-command.ts';

const USAGE = `Usage: agl <command> [options]

Commands:
  serve   run the collector (OTLP receiver, store API, SQL) on one DuckDB file
  sql     run a read-only SQL query against a collector or a DuckDB file
  export  write spans, rollouts, llm_calls or training triplets to Parquet or JSON Lines
  sim-llm run the simulated OpenAI-compatible model (for tests and offline demos)
  runner  run agent runners for a collector's rollout queue (remote workers)
  train   train an agent's prompt (your agent module and dataset, or an example) with APO

Run \`agl <command> --help\` for a command's options.`;

const COMMANDS: Record<string, { run: (args: string[]) => Promise<number>; usage: string }> = {
  serve: { run: serveCommand, usage: SERVE_USAGE },
  sql: { run: sqlCommand, usage: SQL_USAGE },
  export: { run: exportCommand, usage: EXPORT_USAGE },
  'sim-llm': { run: simLlmCommand, usage: SIM_LLM_USAGE },
  runner: { run: runnerCommand, usage: RUNNER_USAGE },
  train: { run: trainCommand, usage: TRAIN_USAGE },
};

/** Runs the `agl` command line; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`agl: unknown command \`${name}\`\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command.run(args);
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`agl ${name}: ${(error as Error).message}\n\n${command.usage}\n`);
      return 2;
    }
    process.stderr.write(`agl ${name}: ${(error as Error).message}\n`);
    return 1;
  }
}
