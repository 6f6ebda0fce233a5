/**
 * The registry's errors: one table of codes and HTTP statuses, small factories, and the one
 * middleware that serializes every failure as `{error: {code, message, details?}}` — never a
 * stack trace.
 */
import type { ErrorRequestHandler } from 'express';

export const ERRORS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_template: 422,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  get status(): number {
    return ERRORS[this.code];
  }
}

export const badRequest = (m: string, details?: unknown) => new ApiError('bad_request', m, details);
export const unauthorized = (m = 'a valid bearer token is required') => new ApiError('unauthorized', m);
export const forbidden = (m: string) => new ApiError('forbidden', m);
export const notFound = (m: string) => new ApiError('not_found', m);
export const conflict = (m: string) => new ApiError('conflict', m);
export const invalidTemplate = (m: string, details?: unknown) => new ApiError('invalid_template', m, details);

/** Serializes any error thrown or passed by a route. Logs unexpected ones (without the body). */
export function errorMiddleware(log: (line: string) => void): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    void _next;
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if (err?.type === 'entity.too.large') e = new ApiError('payload_too_large', `request body over the limit of ${err.limit} bytes`);
    else if (err?.type === 'entity.parse.failed') e = badRequest(`malformed JSON: ${String(err.message).split('\n')[0]}`);
    else if (err?.type === 'charset.unsupported' || err?.type === 'encoding.unsupported') e = new ApiError('unsupported_media_type', String(err.message));
    else {
      log(`internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      e = new ApiError('internal', 'internal error');
    }
    if (res.headersSent) return;
    res.status(e.status).json({ error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } });
  };
}
