// Writes schema/manifest.schema.json from the zod schema: `pnpm --filter @kiln/manifest schema`.
// test/json-schema.test.ts fails when the committed file differs from a fresh build.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toManifestJsonSchema } from '../src/json-schema.js';

const target = fileURLToPath(new URL('../schema/manifest.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(toManifestJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
