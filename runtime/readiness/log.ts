/** Log readiness: a line of the step's output matches a regular expression. */
import type { StepLog } from '../logs.js';

/** Resolves true at the first matching line; `stop()` ends the watch. */
export function watchLog(log: StepLog, pattern: string): { matched: Promise<boolean>; stop: () => void } {
  const re = new RegExp(pattern);
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
