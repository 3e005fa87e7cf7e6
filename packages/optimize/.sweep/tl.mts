import { readFileSync } from 'node:fs';
import { optimize } from '../src/index.js';
const bytes = new Uint8Array(readFileSync('/tmp/pbr1k.glb'));
console.error((performance.now()|0), 'go');
const r = await optimize(bytes, { pruneAttributes: true, flatten: true, onProgress: (e: any) => { if (e.type === 'stage') console.error((performance.now()|0), 'stage', e.stage, e.state ?? ''); } });
console.error((performance.now()|0), 'done', r.report.textures?.map?.(((t: any) => t.psnr)));
