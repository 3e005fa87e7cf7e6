// Terminal output: lines, tables, sizes and durations. Everything the demo prints goes through
// `say`, so the progress bars (progress.mjs) can keep themselves below it.

let beforeWrite = () => {};
let afterWrite = () => {};

/** Lets the progress display clear itself before a line is printed and redraw after. */
export function onWrite(before, after) {
  beforeWrite = before;
  afterWrite = after;
}

export function say(text = '') {
  beforeWrite();
  process.stdout.write(`${text}\n`);
  afterWrite();
}

export function heading(text) {
  say();
  say(process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
}

export const kib = (bytes) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);
export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
export const percent = (part, whole) => `${whole === 0 ? 0 : Math.round((100 * part) / whole)}%`;

/** Prints rows as an aligned table; the first row is the header. Numbers are right-aligned. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const numeric = rows[0].map((_, i) => rows.slice(1).every((r) => /^[\d.,]+( [KMG]?i?B| s|%|×)?$|^-$|^$/.test(String(r[i]))));
  for (const [n, row] of rows.entries()) {
    say(`  ${row.map((c, i) => (numeric[i] && n > 0 ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ')}`.trimEnd());
    if (n === 0) say(`  ${widths.map((w) => '─'.repeat(w)).join('  ')}`);
  }
}
