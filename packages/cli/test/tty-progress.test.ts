import { describe, expect, it } from 'vitest';
import { TtyProgress } from '../src/progress/tty.js';

class Stream {
  text = '';
  readonly isTTY = true;
  readonly columns = 120;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe('TtyProgress', () => {
  it('shows the stages running at once, and the texture bar while textures run alongside the geometry stages', () => {
    const stream = new Stream();
    const progress = new TtyProgress(stream, 2);
    progress.start('a.glb');
    progress.start('b.glb');
    progress.event('b.glb', { type: 'stage', stage: 'prune', state: 'start' });
    progress.event('b.glb', { type: 'stage', stage: 'prune', state: 'end', ms: 1 });
    progress.event('b.glb', { type: 'stage', stage: 'textures', state: 'start' });
    progress.event('b.glb', { type: 'stage', stage: 'weld', state: 'start' });
    progress.event('b.glb', { type: 'texture', index: 0, total: 4, name: 'albedo', state: 'start' });
    progress.event('b.glb', { type: 'texture', index: 0, total: 4, name: 'albedo', state: 'end' });
    progress.finish('a.glb', 'a.glb → a-out.glb'); // redraws at once
    const drawn = stream.text.split('a.glb → a-out.glb\n')[1]!;
    expect(drawn).toContain('b.glb  textures + weld');
    expect(drawn).toContain('1/4 albedo');

    // weld ends: textures still run, and their bar stays.
    progress.event('b.glb', { type: 'stage', stage: 'weld', state: 'end', ms: 1 });
    progress.event('b.glb', { type: 'stage', stage: 'geometry', state: 'start' });
    progress.event('b.glb', { type: 'stage', stage: 'geometry', state: 'end', ms: 1 });
    progress.event('b.glb', { type: 'texture', index: 1, total: 4, name: 'normal', state: 'start' });
    stream.text = '';
    progress.start('c.glb');
    progress.finish('c.glb', 'c.glb → c-out.glb');
    expect(stream.text).toContain('b.glb  textures');
    expect(stream.text).not.toContain('textures + ');
    expect(stream.text).toContain('1/4 normal');

    // textures end: the bar goes, the last stage shows until the next starts.
    progress.event('b.glb', { type: 'stage', stage: 'textures', state: 'end', ms: 1 });
    stream.text = '';
    progress.start('d.glb');
    progress.finish('d.glb', 'd.glb → d-out.glb');
    expect(stream.text).toContain('b.glb  textures');
    expect(stream.text).not.toContain('normal');
    progress.close();
  });
});
