/** Log readiness: a line of the step's output matches a regular expression (RE2 dialect). */
import { regexProblem, testRegex } from '../../schemas/index.js';
import type { StepLog } from '../logs.js';

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
