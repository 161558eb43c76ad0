import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Router } from 'express';
import { AglError, InvalidRequestError } from '../../src/errors/index.ts';
import type { GatewayAttempt, GatewayRecorder, LlmGateway } from '../../src/gateway/index.ts';
import { readRequestBody } from '../http/request-body.ts';
import { errorStatus, sendJson } from '../http/respond.ts';
import { RouteTable } from '../http/route-table.ts';
import type { RouteHandler } from '../http/route-table.ts';

/** Options of {@link gatewayRouter}. */
export interface GatewayRoutesOptions {
  /** The largest request body, counted after decompression. */
  maxBodyBytes: number;
  /** Where the gateway's calls wait for their batch: `POST /v1/agl/gateway/flush` stores them. */
  recorder: Pick<GatewayRecorder, 'flush' | 'stats'>;
}

/** The plain recording base: calls recorded with no rollout. */
export const GATEWAY_BASE = '/v1/agl/gateway/v1';
/** The base for one attempt: calls recorded for it. */
export const GATEWAY_ATTEMPT_BASE = '/v1/agl/gateway/rollouts/:rollout_id/attempts/:attempt_id/v1';

/** Stores the calls answered so far (they are batched, ~50 ms), then answers the recorder's counters. */
export const GATEWAY_FLUSH = '/v1/agl/gateway/flush';

/**
 * The LLM gateway's router (OpenAI-compatible, under both bases): `POST …/chat/completions`,
 * `POST …/completions`, `GET …/models`, `GET …/models/:model`; and `POST /v1/agl/gateway/flush`,
 * for a runner on another machine that reads an attempt's calls once its agent has exited. Errors
 * of the gateway itself are answered in OpenAI's error shape (`{error: {message, type, param,
 * code}}`) by the router's error handler, so that OpenAI clients show them; errors of the upstream
 * pass through as it sent them.
 */
export function gatewayRouter(gateway: LlmGateway, options: GatewayRoutesOptions): Router {
  const routes = new RouteTable();
  for (const base of [GATEWAY_BASE, GATEWAY_ATTEMPT_BASE]) {
    routes
      .on('POST', `${base}/chat/completions`, modelCall(gateway, options, 'chat', '/chat/completions'))
      .on('POST', `${base}/completions`, modelCall(gateway, options, 'text_completion', '/completions'))
      .on('GET', `${base}/models`, models(gateway, '/models'))
      .on('GET', `${base}/models/:model`, models(gateway, null));
  }
  routes.on('POST', GATEWAY_FLUSH, async ({ request, response }) => {
    request.resume();
    await options.recorder.flush();
    sendJson(response, 200, options.recorder.stats);
  });
  return routes.router().use(openAiErrors);
}

function modelCall(gateway: LlmGateway, options: GatewayRoutesOptions, operation: 'chat' | 'text_completion', path: string): RouteHandler {
  return async ({ request, response, url, params }) => {
    const attempt = attemptOf(gateway, params);
    const rawBody = await readRequestBody(request, { maxBytes: options.maxBodyBytes });
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch (error) {
      throw new InvalidRequestError(`The request body is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidRequestError('The request body must be a JSON object');
    await gateway.proxy({ operation, path: path + url.search, body: body as Record<string, unknown>, rawBody, attempt, request, response });
  };
}

function models(gateway: LlmGateway, path: string | null): RouteHandler {
  return async ({ request, response, url, params }) => {
    attemptOf(gateway, params);
    request.resume();
    await gateway.models(`${path ?? `/models/${encodeURIComponent(params.model)}`}${url.search}`, request, response);
  };
}

function attemptOf(gateway: LlmGateway, params: Record<string, string>): GatewayAttempt | null {
  return params.rollout_id === undefined ? null : gateway.resolveAttempt(params.rollout_id, params.attempt_id);
}

/** The gateway family's error handler: OpenAI's error body, the status of the project's error; other errors pass on. */
const openAiErrors: ErrorRequestHandler = (error: unknown, request, response, next) => {
  if (!(error instanceof AglError)) {
    next(error);
    return;
  }
  request.resume();
  sendOpenAiError(response, error);
};

function sendOpenAiError(response: ServerResponse, error: AglError): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const { status, headers, message, code } = errorStatus(error);
  const type = status === 401 ? 'authentication_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  sendJson(response, status, { error: { message, type, param: null, code } }, headers);
}
