import { readFileSync } from 'node:fs';
import { optimize } from '../src/index.js';
const r = await optimize(new Uint8Array(readFileSync('/tmp/tiny.glb')), { validate: 'error' });
console.log(JSON.stringify(r.report.validation?.after.messages?.map((m: any) => m.code + ' ' + m.pointer)));
