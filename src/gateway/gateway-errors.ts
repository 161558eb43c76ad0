import { AglError } from '../errors/index.ts';
import type { AglErrorOptions } from '../errors/index.ts';

/** The gateway has no upstream model to call (503): `agl serve --model-upstream URL` or `OPENAI_BASE_URL` is missing. */
export class GatewayNotConfiguredError extends AglError {
  constructor(message: string, options?: AglErrorOptions) {
    super('gateway_not_configured', 503, message, options);
  }
}

/** The upstream model could not be reached, or broke off its answer (502). */
export class UpstreamUnreachableError extends AglError {
  constructor(message: string, options?: AglErrorOptions) {
    super('upstream_unreachable', 502, message, options);
  }
}

/** The rollout's prompt resource could not be put into the request (400): it is missing or does not render with the task. */
export class GatewayPromptError extends AglError {
  constructor(message: string, options?: AglErrorOptions) {
    super('gateway_prompt', 400, message, options);
  }
}
