/** HTTP readiness: a GET of the URL answers with the expected status. */
export async function httpReady(url: string, status: number, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await res.arrayBuffer().catch(() => undefined);
    return res.status === status;
  } catch {
    return false;
  }
}
