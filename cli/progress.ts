/**
 * A progress bar on stderr for commands over many files: drawn only on a terminal and only
 * when there are more than `minTotal` items, redrawn when the bar or the percentage moves
 * (at most about a hundred writes, however large the fleet), ended with a line break.
 */
import type { Writer } from './io.js';

export function progressBar(stderr: Writer, minTotal = 50, width = 30): (done: number, total: number) => void {
  let shown = -1;
  return (done, total) => {
    if (!stderr.isTTY || total <= minTotal) return;
    const percent = Math.floor((done / total) * 100);
    if (percent === shown && done !== total) return;
    shown = percent;
    const filled = Math.round((done / total) * width);
    stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
  };
}
