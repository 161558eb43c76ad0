export { AgentLightningServer } from './agent-lightning-server.ts';
export { Trainer } from './trainer.ts';
export type { AgentLightningServerOptions, AgentLightningServerStartOptions, CompletedRollout } from './agent-lightning-server.ts';
export type { BackendFitOptions, DevOptions, FitOptions, TrainerOptions, TrainerRunnerOptions } from './trainer.ts';
