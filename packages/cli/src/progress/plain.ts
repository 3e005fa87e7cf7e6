import type { OptimizeProgress } from '@kiln/optimize';
import type { CliStream } from '../io.js';
import type { Progress } from './index.js';

/** One line per finished stage and texture: for logs and CI. */
export class PlainProgress implements Progress {
  constructor(private readonly stream: CliStream) {}

  start(file: string): void {
    this.stream.write(`${file}: start\n`);
  }

  event(file: string, event: OptimizeProgress): void {
    if (event.state !== 'end') return;
    if (event.type === 'stage') this.stream.write(`${file}: ${event.stage} ${Math.round(event.ms ?? 0)} ms\n`);
    else this.stream.write(`${file}: texture ${event.index + 1}/${event.total} ${event.name}\n`);
  }

  finish(_file: string, line: string): void {
    this.stream.write(`${line}\n`);
  }

  close(): void {}
}
