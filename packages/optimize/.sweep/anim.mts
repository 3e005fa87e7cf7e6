import { optimize } from '../src/index.js';
import { editGlbJson } from '../src/glb.js';
import { skinnedDocument, toGlb } from '../test/helpers/fixtures.js';
const glb = editGlbJson<any>(await toGlb(skinnedDocument()), (json) => { json.animations[0].channels[0].sampler = 99; });
try { const r = await optimize(glb, {}); console.log('ok', r.report.warnings, r.report.validation.added); } catch (e: any) { console.log('ERR', e.code, e.message); }
try { const r = await optimize(glb, { validate: 'warn' } as any); console.log('ok', r.report.warnings, r.report.validation.added); } catch (e: any) { console.log('ERR', e.code, e.message); }
