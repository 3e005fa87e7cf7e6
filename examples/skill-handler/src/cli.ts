// Usage: pnpm --filter @kiln/example-skill-handler start request.json
// Serves ./.kiln-skill/assets on a local CDN, handles the request, prints the result.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCdnServer } from '@kiln/storage/serve';
import { createSkillHandler } from './handler.js';

const file = process.argv[2];
const request = file ? JSON.parse(await readFile(file, 'utf8')) : {
  project_id: 'demo',
  asset_type: '2D_SPRITE',
  prompt: { core_concept: 'archer unit', style: 'pixel art', details: 'blue cloak' },
  constraints: { platform: 'MOBILE', rig_type: 'STATIC' },
  name: 'archer',
  category: 'unit',
  variant: 'blue',
};
const dataDir = join(process.cwd(), '.kiln-skill');
const cdn = await startCdnServer({ root: join(dataDir, 'assets') });
const handler = await createSkillHandler({ dataDir, cdnBaseUrl: cdn.url });
const result = await handler.handle(request);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
await handler.close();
await cdn.close();
