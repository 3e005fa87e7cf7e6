// Progress of a batch, from @kiln/core's events: one bar per pipeline step and one for the
// whole batch, redrawn in place on a terminal. Without a terminal (CI, tests, a pipe) it prints
// one line per finished step instead, so logs stay readable.
import { onWrite, say } from './terminal.mjs';

const WIDTH = 24;

function bar(done, total) {
  const full = total === 0 ? WIDTH : Math.round((WIDTH * done) / total);
  return `${'█'.repeat(full)}${'░'.repeat(WIDTH - full)}`;
}

/**
 * @param {{ steps: { name: string, total: number }[], tty?: boolean }} options
 *   `steps`: every step name of the batch's pipelines, with how many runs have it.
 */
export function createProgress({ steps, tty = Boolean(process.stdout.isTTY) }) {
  const rows = steps.map((s) => ({ ...s, done: 0, running: 0, review: 0 }));
  const byName = new Map(rows.map((r) => [r.name, r]));
  let total = rows.reduce((sum, r) => sum + r.total, 0);
  let done = 0;
  let etaMs;
  let drawn = 0;
  let paused = false;

  const lines = () => [
    ...rows.map((r) => {
      const extra = [r.running > 0 ? `${r.running} running` : '', r.review > 0 ? `${r.review} in review` : ''].filter(Boolean).join(', ');
      return `  ${r.name.padEnd(14)} ${bar(r.done, r.total)} ${String(r.done).padStart(2)}/${r.total}${extra ? `  ${extra}` : ''}`;
    }),
    `  ${'batch'.padEnd(14)} ${bar(done, total)} ${String(done).padStart(2)}/${total} steps${etaMs !== undefined && done < total ? `  ETA ${Math.ceil(etaMs / 1000)} s` : ''}`,
  ];
  const clear = () => {
    if (drawn > 0) process.stdout.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const draw = () => {
    if (!tty || paused) return;
    const text = lines();
    process.stdout.write(`${text.join('\n')}\n`);
    drawn = text.length;
  };
  // At most ten redraws a second: events come in bursts.
  let scheduled;
  const redraw = () => {
    if (!tty || paused || scheduled) return;
    scheduled = setTimeout(() => {
      scheduled = undefined;
      if (paused) return;
      clear();
      draw();
    }, 100);
  };
  if (tty) {
    onWrite(clear, draw);
    draw();
  }

  return {
    /** Feeds one @kiln/core event. */
    event(event) {
      const row = byName.get(event.data?.step);
      if (!row) return;
      if (event.type === 'StepStarted') row.running++;
      if (event.type === 'StepRetryScheduled') row.running = Math.max(0, row.running - 1);
      if (event.type === 'StepCompleted') {
        row.running = Math.max(0, row.running - 1);
        if (event.data.awaitingReview) row.review++;
        else finish(row);
      }
      if (event.type === 'UserReviewUpdated' && event.data.decision === 'approve') {
        row.review = Math.max(0, row.review - 1);
        finish(row);
      }
      if (event.type === 'UserReviewUpdated' && event.data.decision === 'reject') {
        row.review = Math.max(0, row.review - 1);
        drop(row);
      }
      if (event.type === 'StepSkipped') drop(row);
      redraw();
    },
    /** Sets the batch ETA (from `client.progress()`). */
    eta(ms) {
      etaMs = ms;
      redraw();
    },
    /** Stops redrawing (while the terminal asks a question); `resume()` starts again. */
    pause() {
      clear();
      paused = true;
    },
    resume() {
      paused = false;
      draw();
    },
    /** Leaves the final bars on screen (terminal) and stops. */
    stop() {
      clearTimeout(scheduled);
      scheduled = undefined;
      if (tty && !paused) {
        clear();
        draw();
      }
      if (tty) onWrite(() => {}, () => {});
    },
  };

  // A rejected step and the steps it skips leave the totals.
  function drop(row) {
    row.total--;
    total--;
  }

  function finish(row) {
    row.done++;
    done++;
    if (!tty && row.done === row.total) say(`  ✔ ${row.name}: ${row.done}/${row.total}  (batch ${done}/${total} steps)`);
  }
}
