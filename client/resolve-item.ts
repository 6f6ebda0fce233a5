/** The registry API's batch resolve answer, as the server writes it and the client reads it. */

/** One answer of a batch: the version chosen for a `{ref, selector}`, or why none was. */
export type ResolveItem =
  | {
      ok: true;
      ref: string;
      selector: string;
      version: string;
      digest: string;
      source: string;
      deprecation?: { message: string; sunset?: string };
      yanked: boolean;
    }
  | {
      ok: false;
      ref: string;
      selector: string;
      error: { code: 'not_found' | 'no_version' | 'bad_request'; message: string };
      versions?: string[];
    };
