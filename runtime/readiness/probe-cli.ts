/**
 * A probe as a tiny program, so a backend can run it inside another network namespace
 * (the Docker backend runs it with `nsenter -t PID -n`). Exit 0 when ready.
 *   probe-cli tcp HOST PORT[,PORT...] TIMEOUT_MS
 *   probe-cli http URL STATUS TIMEOUT_MS
 * The arguments may instead come as a JSON array in PIPEWRIGHT_PROBE_ARGS: a URL may hold a
 * resolved secret, and argv is readable by every user.
 */
import { httpReady } from './http.js';
import { tcpReady } from './tcp.js';

const fromEnv = process.env['PIPEWRIGHT_PROBE_ARGS'];
const [kind, a, b, t] = (fromEnv ? (JSON.parse(fromEnv) as string[]) : process.argv.slice(2)) as [string, string, string, string];
const ok =
  kind === 'tcp'
    ? await tcpReady(a, b.split(',').map(Number), Number(t))
    : kind === 'http'
      ? await httpReady(a, Number(b), Number(t))
      : false;
process.exit(ok ? 0 : 1);
