/**
 * The registry's HTTP client: JSON requests with a timeout, retries with exponential backoff
 * on 5xx and connection errors (a 503's `Retry-After` is honoured: the next attempt waits at
 * least that long, or the client gives up at once when it is longer than `maxRetryAfterMs`),
 * and errors that say what failed. Used by the CLI's template
 * commands and by `RegistrySource`.
 */

export interface ClientOptions {
  url: string;
  token?: string;
  /** Per attempt, default 10 s. */
  timeoutMs?: number;
  /** Extra attempts after the first on 5xx and connection errors, default 3. */
  retries?: number;
  /** First backoff, doubled each retry, default 100 ms. */
  backoffMs?: number;
  /** Longest `Retry-After` the client waits for before a retry, default 10 s. */
  maxRetryAfterMs?: number;
}

/** `Retry-After` (seconds or an HTTP date) in milliseconds, or undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RegistryClient {
  readonly url: string;
  /** Round trips made (requests that reached the server or failed trying), for tests and benchmarks. */
  roundTrips = 0;

  constructor(private readonly opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
  }

  /** One JSON request; returns the parsed body (undefined for 204/304). */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const retries = this.opts.retries ?? 3;
    let delay = this.opts.backoffMs ?? 100;
    for (let attempt = 0; ; attempt++) {
      this.roundTrips++;
      let res: Response;
      try {
        res = await fetch(this.url + path, {
          method,
          headers: {
            Accept: 'application/json',
            ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
            ...(this.opts.token ? { Authorization: `Bearer ${this.opts.token}` } : {}),
            ...headers,
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
        });
      } catch (e) {
        if (attempt < retries) {
          await sleep(delay);
          delay *= 2;
          continue;
        }
        const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
        throw new RegistryError(0, 'unreachable', `registry ${this.url} unreachable (${cause}) after ${attempt + 1} attempts`);
      }
      const after = res.status === 503 ? retryAfterMs(res.headers.get('retry-after')) : undefined;
      const tooLong = after !== undefined && after > (this.opts.maxRetryAfterMs ?? 10_000);
      if (res.status >= 500 && attempt < retries && !tooLong) {
        await res.arrayBuffer().catch(() => undefined);
        await sleep(Math.max(delay, after ?? 0));
        delay *= 2;
        continue;
      }
      const text = res.status === 204 || res.status === 304 ? '' : await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        throw new RegistryError(res.status, 'bad_response', `registry ${this.url} answered ${res.status} with non-JSON`);
      }
      if (res.status >= 400) {
        const err = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
        throw new RegistryError(
          res.status,
          err?.code ?? 'error',
          describe(res.status, err?.message ?? res.statusText, this.url, after, attempt + 1),
          err?.details,
        );
      }
      return { status: res.status, body: parsed as T, headers: res.headers };
    }
  }
}

function describe(status: number, message: string, url: string, retryAfter: number | undefined, attempts: number): string {
  if (status === 503)
    return `registry ${url} is busy (503) after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${message}${retryAfter !== undefined ? `; retry after ${Math.ceil(retryAfter / 1000)} s` : ''}`;
  if (status === 401) return `registry ${url} refused the request (401): ${message}; set PIPEWRIGHT_TOKEN or --token`;
  if (status === 403) return `registry ${url} refused the request (403): ${message}`;
  return message;
}
