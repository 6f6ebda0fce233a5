/**
 * The registry's errors: one table of codes and HTTP statuses, small factories, and the one
 * middleware that serializes every failure as `{error: {code, message, details?}}` — never a
 * stack trace. Client mistakes caught below the routes (body parsing, path decoding) become
 * the matching 4xx through `toApiError`, and those of Node's HTTP parser, met before express
 * runs, through `clientErrorOf`; anything else unexpected is a logged 500.
 */
import type { ErrorRequestHandler } from 'express';

export const ERRORS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_template: 422,
  headers_too_large: 431,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class ApiError extends Error {
  /**
   * @param details extra JSON for the body's `details`
   * @param headers response headers that belong to the error (e.g. `Retry-After` on a 503);
   *   the middleware sets them on the error response
   */
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Readonly<Record<string, string>>,
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
/** 503 with `Retry-After: seconds`: the server is busy, the same request may succeed later. */
export const unavailable = (m: string, retryAfterSeconds = 1) =>
  new ApiError('unavailable', m, undefined, { 'Retry-After': String(Math.max(0, Math.ceil(retryAfterSeconds))) });

/** The table's code for a status; a 4xx the table lacks is reported as 400, a 5xx as 500. */
function codeOfStatus(status: number): ErrorCode {
  const found = (Object.keys(ERRORS) as ErrorCode[]).find((c) => ERRORS[c] === status);
  return found ?? (status >= 400 && status < 500 ? 'bad_request' : 'internal');
}

/** Header values an error carries (`headers` on an ApiError or an http-errors error), as strings. */
function headersOf(err: unknown): Record<string, string> | undefined {
  const h = (err as { headers?: unknown } | null)?.headers;
  if (!h || typeof h !== 'object') return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
  return Object.keys(out).length ? out : undefined;
}

/**
 * Any thrown value as an ApiError: ApiErrors as they are; the errors of express's body parser
 * and router (http-errors with a 4xx `status`: malformed JSON, a body over the limit, a body
 * that does not decode with its Content-Encoding, a malformed percent-encoding in a path) as
 * the table's 4xx; an error with another status of the table (e.g. 503) as that, keeping its
 * `headers`; anything else as `internal` (the caller logs it).
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = (err ?? {}) as { type?: unknown; status?: unknown; statusCode?: unknown; message?: unknown; limit?: unknown; code?: unknown };
  const message = typeof e.message === 'string' ? e.message.split('\n')[0]! : '';
  if (e.type === 'entity.too.large') return new ApiError('payload_too_large', `request body over the limit of ${String(e.limit)} bytes`);
  if (e.type === 'entity.parse.failed') return badRequest(`malformed JSON: ${message}`);
  if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported') return new ApiError('unsupported_media_type', message);
  // Another process holds the database's write lock: a moment's wait, not a server fault.
  if (e.code === 'SQLITE_BUSY' || e.code === 'SQLITE_LOCKED') return unavailable('the database is busy; retry shortly');
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  const code = codeOfStatus(status);
  if (code === 'internal') return new ApiError('internal', 'internal error');
  const text =
    typeof e.code === 'string' && e.code.startsWith('Z_')
      ? `the body does not decode with its Content-Encoding: ${message}`
      : message || code.replace('_', ' ');
  return new ApiError(code, text, undefined, headersOf(err));
}

/**
 * An error of Node's HTTP parser (the server's `clientError` event) as the table's error:
 * header section over the size limit (`HPE_HEADER_OVERFLOW`) → 431 `headers_too_large`, a
 * request or its headers not received in time (`ERR_HTTP_REQUEST_TIMEOUT`) → 408
 * `request_timeout`, chunk extensions over their limit → 413 `payload_too_large`, any other
 * (a malformed request line, version, header or chunk, Transfer-Encoding with
 * Content-Length, …) → 400 `bad_request`. The message names the parser's code, never a stack.
 */
export function clientErrorOf(err: unknown): ApiError {
  const e = (err ?? {}) as { code?: unknown; reason?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (code === 'HPE_HEADER_OVERFLOW') return new ApiError('headers_too_large', "the request's header section is over the size limit");
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new ApiError('request_timeout', 'the request was not received in time');
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW')
    return new ApiError('payload_too_large', "the request's chunk extensions are over the size limit");
  const reason = typeof e.reason === 'string' ? e.reason : typeof e.message === 'string' ? e.message.replace(/^Parse Error: /, '') : '';
  return badRequest(`malformed HTTP request${code ? ` (${code}${reason ? `: ${reason.slice(0, 200)}` : ''})` : ''}`);
}

/** Serializes any error thrown or passed by a route. Logs unexpected ones (without the body). */
export function errorMiddleware(log: (line: string) => void): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    void _next;
    const e = toApiError(err);
    if (e.code === 'internal') log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (res.headersSent) return;
    if (e.headers) res.set(e.headers);
    res.status(e.status).json({ error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } });
  };
}
