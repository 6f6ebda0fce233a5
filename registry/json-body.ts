/**
 * The API's request bodies: JSON only, within a size limit and a nesting limit, checked before
 * any route runs. A body of another media type is 415; a body nested deeper than
 * `MAX_JSON_DEPTH` is 400 (measured on the raw text before parsing, so no parser or route ever
 * walks it); malformed JSON, a body that is not an object or array, a Content-Encoding the
 * body does not decode with, are 400 (see `toApiError` in `errors.ts`).
 */
import express, { type RequestHandler } from 'express';
import { ApiError } from './errors.js';

/** Deepest nesting of arrays and objects a JSON body may have; templates need a few dozen. */
export const MAX_JSON_DEPTH = 64;

const JSON_TYPES = ['application/json', 'application/*+json'];

/** Whether `text` (UTF-8 bytes or a string) nests arrays and objects deeper than `max`; strings do not count. */
export function nestsDeeperThan(text: Uint8Array | string, max: number): boolean {
  const code = typeof text === 'string' ? (i: number) => text.charCodeAt(i) : (i: number) => text[i]!;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = code(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character, which may be a quote
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** An error body-parser passes on with its status and type (see `toApiError`). */
function bodyError(status: number, type: string, message: string): Error {
  return Object.assign(new Error(message), { status, type });
}

/** Runs in body-parser's `verify` hook: after decompression and the size limit, before JSON.parse. */
function verifyDepth(_req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  let text: Uint8Array | string = buf;
  if (encoding !== 'utf-8' && encoding !== 'utf8') {
    try {
      text = new TextDecoder(encoding, { fatal: true }).decode(buf);
    } catch {
      throw bodyError(415, 'charset.unsupported', `JSON bodies must be UTF-8 (or UTF-16), not ${encoding}`);
    }
  }
  if (nestsDeeperThan(text, MAX_JSON_DEPTH))
    throw bodyError(400, 'entity.too.deep', `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
}

/** Whether the request carries a body (a non-zero Content-Length or a Transfer-Encoding). */
function hasBody(headers: { 'content-length'?: string | undefined; 'transfer-encoding'?: string | undefined }): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

/**
 * The API's body parser: 415 for a body that is not JSON, then express.json (strict: only an
 * object or an array) with the nesting check. Requests without a body pass with no `req.body`.
 */
export function jsonBody(limit: string | number): RequestHandler[] {
  const mediaType: RequestHandler = (req, _res, next) => {
    if (!hasBody(req.headers) || req.is(JSON_TYPES)) return next();
    const type = req.headers['content-type'];
    next(
      new ApiError(
        'unsupported_media_type',
        type
          ? `request bodies must be application/json, not ${type}`
          : 'request bodies must be application/json (no Content-Type was given)',
      ),
    );
  };
  return [mediaType, express.json({ limit, type: JSON_TYPES, strict: true, verify: verifyDepth })];
}
