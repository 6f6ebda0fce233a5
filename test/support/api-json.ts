/**
 * The registry API's JSON answers, as tests read them back from `res.body` (supertest types
 * it `any`) or from the response text.
 */
import type { StoreEvent, TokenInfo, VersionRow } from '../../registry/index.js';

/** Any refusal (`registry/errors.ts`). */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** GET /api/v1/events. */
export interface EventsBody {
  events: StoreEvent[];
}

/** GET /api/v1/tokens. */
export interface TokensBody {
  tokens: TokenInfo[];
}

/** A template version (GET .../versions/{version}, GET /api/v1/content/{digest}). */
export type VersionBody = Omit<VersionRow, 'canonical' | 'inputs'> & { content: unknown; inputs: unknown };

/** PUT .../versions/{version}. */
export interface PublishBody {
  ref: string;
  version: string;
  digest: string;
  created: boolean;
}
