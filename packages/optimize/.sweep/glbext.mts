import { mkdirSync, writeFileSync } from 'node:fs';
import { optimize, readInputFile } from '../src/index.js';
import { editGlbJson } from '../src/glb.js';
import { pbrDocument, toGlb, toGltfFiles } from '../test/helpers/fixtures.js';
const doc = await pbrDocument(64, 64);
const files = await toGltfFiles(doc);
const glb = await toGlb(await pbrDocument(64, 64));
// Move the first image out of the GLB to an external file.
let name = '';
const out = editGlbJson<any>(glb, (json) => { const img = json.images[0]; name = 'ext-' + (json.images[0].name ?? 'img') + '.png'; delete img.bufferView; delete img.mimeType; img.uri = name; });
mkdirSync('/tmp/glbext', { recursive: true });
writeFileSync('/tmp/glbext/model.glb', out);
writeFileSync('/tmp/glbext/' + name, files.resources[Object.keys(files.resources).find((k) => k.endsWith('.png'))!]!);
try { const input = await readInputFile('/tmp/glbext/model.glb'); const r = await optimize(input, { validate: 'error' }); console.log('ok', r.report.warnings, r.report.validation.added, r.report.textureReports.length); } catch (e: any) { console.log('ERR', e.code, e.message); }
try { const r = await optimize(out, { validate: 'error' }); console.log('bytes only ok', r.report.warnings); } catch (e: any) { console.log('bytes only ERR', e.code, e.message); }
