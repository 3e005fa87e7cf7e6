import type { OptimizeProgress } from '@kiln/optimize';
import type { CliStream } from '../io.js';
import type { Progress } from './index.js';

/** Stages a file goes through, for its bar (LOD stages are added when seen). */
const STAGES = 10;

interface Active {
  stagesDone: number;
  /** Stages under way, in the order they started (textures run alongside the geometry stages). */
  running: string[];
  /** The stage that ended last: shown between two stages. */
  last: string;
  textures: { done: number; total: number; name: string } | null;
}

function bar(fraction: number, width: number): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

/** A progress block redrawn in place: the batch, then one line per file being processed. */
export class TtyProgress implements Progress {
  readonly #active = new Map<string, Active>();
  #done = 0;
  #drawn = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly stream: CliStream,
    private readonly total: number,
  ) {}

  start(file: string): void {
    this.#active.set(file, { stagesDone: 0, running: [], last: 'start', textures: null });
    this.#schedule();
  }

  event(file: string, event: OptimizeProgress): void {
    const a = this.#active.get(file);
    if (!a) return;
    if (event.type === 'stage') {
      if (event.state === 'start') a.running.push(event.stage);
      else {
        a.stagesDone++;
        a.running = a.running.filter((s) => s !== event.stage);
        a.last = event.stage;
      }
    } else if (event.state === 'end') {
      a.textures = { done: (a.textures?.done ?? 0) + 1, total: event.total, name: event.name };
    } else {
      a.textures = { done: a.textures?.done ?? 0, total: event.total, name: event.name };
    }
    this.#schedule();
  }

  finish(file: string, line: string): void {
    this.#active.delete(file);
    this.#done++;
    this.#clear();
    this.stream.write(`${line}\n`);
    this.#draw();
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#clear();
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.#clear();
      this.#draw();
    }, 80);
  }

  #clear(): void {
    if (this.#drawn > 0) this.stream.write(`\x1b[${this.#drawn}F\x1b[J`);
    this.#drawn = 0;
  }

  #draw(): void {
    const width = Math.max(40, Math.min(this.stream.columns ?? 80, 120));
    const lines = [`kiln optimize ${bar(this.#done / Math.max(1, this.total), 20)} ${this.#done}/${this.total} files`];
    for (const [file, a] of this.#active) {
      let line = `  ${bar(a.stagesDone / STAGES, 10)} ${file}  ${a.running.join(' + ') || a.last}`;
      if (a.textures && a.running.includes('textures')) line += ` ${bar(a.textures.done / Math.max(1, a.textures.total), 8)} ${a.textures.done}/${a.textures.total} ${a.textures.name}`;
      lines.push(line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line);
    }
    this.stream.write(`${lines.join('\n')}\n`);
    this.#drawn = lines.length;
  }
}
