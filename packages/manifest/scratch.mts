import { parseManifest, resolveAsset, createManifest } from './src/index.js';
import { readFileSync } from 'node:fs';
const inv = JSON.parse(readFileSync('test-vectors/invalid.json', 'utf8'));
for (const v of inv) { try { parseManifest(v.manifest); } catch (e) { console.log((e as Error).message); } }
for (const input of ['{', '2.0', JSON.stringify({manifestVersion: '2.1'}), JSON.stringify({manifestVersion: 1})]) { try { parseManifest(input); } catch (e) { console.log((e as Error).message); } }
try { resolveAsset({assets: []}, 'x', { distance: NaN, platform: 'xbox' as never, level: 1.5, cdnBaseUrl: 'ftp://x' }); } catch (e) { console.log((e as Error).message); }
console.log(createManifest({ tenantId: 't', assets: [], generatedAt: new Date(0) }));
