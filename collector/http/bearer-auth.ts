import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../../src/errors/index.ts';

/**
 * Whether an `Authorization` header (or gRPC `authorization` metadata) carries `Bearer <token>`.
 * The scheme is case-insensitive (RFC 9110 §11.1); the token is compared in constant time.
 */
export function hasBearerToken(header: string | undefined, token: Buffer): boolean {
  const match = /^bearer +(.+)$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]);
  return given.length === token.length && timingSafeEqual(given, token);
}

/**
 * The collector's one authentication middleware: requests without `Authorization: Bearer <token>`
 * get a 401 (their body is discarded). Mounted on `/v1/` after the health route, which stays open.
 */
export function bearerAuth(token: string): RequestHandler {
  const expected = Buffer.from(token);
  return (request, _response, next) => {
    if (hasBearerToken(request.headers.authorization, expected)) return next();
    request.resume();
    next(new UnauthorizedError('Missing or wrong `Authorization: Bearer <token>`'));
  };
}
