#!/usr/bin/env node
// Writes the missing `.meta` files of com.kiln.loader (the package is authored without Unity).
// GUIDs are stable: md5("com.kiln.loader:" + path), so regenerating gives the same files, and a
// moved file gets a new GUID (as it would in Unity). Existing `.meta` files are never changed.
//   node packages/unity/Tools~/generate-meta.mjs [--check]
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importerFor, listAssets, PACKAGE_NAME } from './structure.mjs';

export function stableGuid(relPath) {
  return createHash('md5').update(`${PACKAGE_NAME}:${relPath}`).digest('hex');
}

export function metaText(relPath, isDirectory) {
  const guid = stableGuid(relPath);
  const importer = importerFor(relPath, isDirectory);
  const common = '  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n';
  if (isDirectory) return `fileFormatVersion: 2\nguid: ${guid}\nfolderAsset: yes\nDefaultImporter:\n${common}`;
  if (importer === 'MonoImporter') {
    return `fileFormatVersion: 2\nguid: ${guid}\nMonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n  executionOrder: 0\n  icon: {instanceID: 0}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n`;
  }
  return `fileFormatVersion: 2\nguid: ${guid}\n${importer}:\n${common}`;
}

/** Writes missing metas; returns the paths written (or, with check, that would be). */
export function generateMetas(packageDir, { check = false } = {}) {
  const written = [];
  for (const asset of listAssets(packageDir)) {
    const metaPath = join(packageDir, `${asset.path}.meta`);
    if (existsSync(metaPath)) continue;
    written.push(`${asset.path}.meta`);
    if (!check) writeFileSync(metaPath, metaText(asset.path, asset.isDirectory));
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
  const check = process.argv.includes('--check');
  const paths = generateMetas(packageDir, { check });
  for (const path of paths) process.stdout.write(`${check ? 'missing' : 'wrote'} ${path}\n`);
  process.stdout.write(`${paths.length} .meta file(s) ${check ? 'missing' : 'written'}\n`);
  process.exitCode = check && paths.length > 0 ? 1 : 0;
}
