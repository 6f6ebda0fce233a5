/** Log readiness: a line of the step's output matches a regular expression (RE2 dialect). */
import type { PlanReadiness } from '../../schemas/index.js';
import { regexProblem, testRegex } from '../../schemas/index.js';
import type { StepLog } from '../logs.js';
import { timer, type ProbeResult, type ProbeSubject, type ProbeTiming, type ReadinessProbe } from './probe.js';

/**
 * The log probe of a step: ready at the first matching line, as it arrives (no polling). A
 * pattern that is not a valid regular expression is an `invalid` outcome.
 */
export function logProbe(log: NonNullable<PlanReadiness['log']>, timing: Pick<ProbeTiming, 'timeoutMs'>): ReadinessProbe {
  return {
    async wait({ handle, spec }: ProbeSubject): Promise<ProbeResult> {
      let w: ReturnType<typeof watchLog>;
      try {
        w = watchLog(spec.log, log.pattern);
      } catch (e) {
        return {
          ready: false,
          reason: 'invalid',
          message: `log readiness pattern ${JSON.stringify(log.pattern)} is not a valid regular expression: ${(e as Error).message}`,
        };
      }
      const settled = Promise.race([w.matched, handle.exited.then(() => 'exited' as const)]);
      const result = await Promise.race([settled, timer(timing.timeoutMs, 'timeout' as const, settled)]);
      w.stop();
      if (result === true) return { ready: true };
      if (result === 'exited') return { ready: false, reason: 'exited', exit: await handle.exited };
      return { ready: false, reason: 'timeout' };
    },
  };
}

/** A line too long to check against the pattern does not match (no line is worth a stall). */
function matches(pattern: string, line: string): boolean {
  const r = testRegex(pattern, line);
  return 'matched' in r && r.matched;
}

/** Resolves true at the first matching line; `stop()` ends the watch. */
export function watchLog(log: StepLog, pattern: string): { matched: Promise<boolean>; stop: () => void } {
  // RE2 (linear time): a catastrophic pattern must not stall the runner on a service's output.
  const problem = regexProblem(pattern);
  if (problem) throw new Error(problem);
  const re = { test: (line: string) => matches(pattern, line) };
  let stop = () => undefined as void;
  const matched = new Promise<boolean>((resolve) => {
    const off = log.listen((line) => {
      if (re.test(line)) {
        off();
        resolve(true);
      }
    });
    stop = () => {
      off();
      resolve(false);
    };
  });
  return { matched, stop };
}
