/**
 * The room selector on LangChain.js, traced by OpenInference's LangChain instrumentation; APO trains its prompt.
 *
 *   node --import tsx examples/third-party/langchain/train.ts [--db PATH] [--rounds N]
 */
import { runThirdPartyCli } from '../run-cli.ts';
import { LANGCHAIN_AGENT } from './agent.ts';

await runThirdPartyCli(LANGCHAIN_AGENT);
