// Structure check of the UPM package com.kiln.loader, without Unity:
// - every file and folder outside `~` folders (and hidden ones) has a `.meta` with a unique 32-hex
//   GUID, the importer its kind needs, and no `.meta` is orphaned;
// - package.json is a valid UPM manifest (name, version, unity 2022.3, dependencies as agreed);
// - every asmdef parses, has a unique name, and its references resolve (our asmdefs by name or GUID,
//   glTFast and the test framework by the packages that provide them); the core is engine-free; test
//   assemblies are constrained to UNITY_INCLUDE_TESTS; every script belongs to an asmdef.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';

export const PACKAGE_NAME = 'com.kiln.loader';
export const GLTFAST = 'com.unity.cloud.gltfast';
export const OPTIONAL_PACKAGES = ['com.unity.cloud.ktx', 'com.unity.cloud.draco', 'com.unity.meshopt.decompress'];
export const REQUIRED_FOLDERS = ['Runtime', 'Editor', 'Tests/Runtime', 'Tests/Editor', 'Samples~', 'Documentation~'];

/** Assemblies our asmdefs may reference that other packages provide, and which package. */
export const EXTERNAL_ASSEMBLIES = {
  glTFast: GLTFAST,
  'UnityEngine.TestRunner': 'com.unity.test-framework',
  'UnityEditor.TestRunner': 'com.unity.test-framework',
};

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const GUID = /^[0-9a-f]{32}$/;

/** Unity ignores these: names ending with `~`, hidden names, and (for asset purposes) `.meta` files themselves. */
export function isIgnored(name) {
  return name.endsWith('~') || name.startsWith('.');
}

/** The importer a `.meta` must declare for a path (as Unity writes them). */
export function importerFor(relPath, isDirectory) {
  if (isDirectory) return 'DefaultImporter';
  const name = basename(relPath);
  if (name === 'package.json') return 'PackageManifestImporter';
  if (name.endsWith('.cs')) return 'MonoImporter';
  if (name.endsWith('.asmdef')) return 'AssemblyDefinitionImporter';
  if (name.endsWith('.md') || name.endsWith('.txt') || name.endsWith('.json')) return 'TextScriptImporter';
  return 'DefaultImporter';
}

/** Every asset path Unity would import (files and folders outside `~` and hidden folders), relative, with `/`. */
export function listAssets(packageDir) {
  const assets = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      if (isIgnored(name) || name.endsWith('.meta')) continue;
      const full = join(dir, name);
      const isDirectory = statSync(full).isDirectory();
      assets.push({ path: relative(packageDir, full).split(sep).join('/'), isDirectory });
      if (isDirectory) walk(full);
    }
  };
  walk(packageDir);
  return assets;
}

/** Parses the top-level `key: value` lines of a `.meta` file. */
export function parseMeta(text) {
  const fields = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Za-z]+):\s*(.*)$/.exec(line);
    if (match) fields[match[1]] = match[2].trim();
  }
  return fields;
}

/** Reads every asmdef: [{ path, dir, json, guid }]. */
export function readAsmdefs(packageDir) {
  return listAssets(packageDir)
    .filter((asset) => !asset.isDirectory && asset.path.endsWith('.asmdef'))
    .map((asset) => {
      const full = join(packageDir, asset.path);
      let json;
      let error;
      try {
        json = JSON.parse(readFileSync(full, 'utf8'));
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      const metaPath = `${full}.meta`;
      const guid = existsSync(metaPath) ? parseMeta(readFileSync(metaPath, 'utf8')).guid : undefined;
      return { path: asset.path, dir: dirname(asset.path) === '.' ? '' : dirname(asset.path), json, error, guid };
    });
}

/** The asmdef a path belongs to: the nearest one in its folder or above. */
export function owningAsmdef(asmdefs, relPath) {
  let best;
  for (const asmdef of asmdefs) {
    const prefix = asmdef.dir === '' ? '' : `${asmdef.dir}/`;
    if (relPath.startsWith(prefix) && (!best || asmdef.dir.length > best.dir.length)) best = asmdef;
  }
  return best;
}

export function isTestAsmdef(json) {
  return (json.defineConstraints ?? []).includes('UNITY_INCLUDE_TESTS');
}

export function isEditorOnly(json) {
  const platforms = json.includePlatforms ?? [];
  return platforms.length === 1 && platforms[0] === 'Editor';
}

/** Runs every check; returns { errors: string[], stats }. */
export function checkStructure(packageDir) {
  const errors = [];
  const assets = listAssets(packageDir);
  const assetPaths = new Set(assets.map((asset) => asset.path));

  // .meta files: present, parseable, right importer, unique GUIDs, none orphaned.
  const guids = new Map();
  for (const asset of assets) {
    const metaPath = join(packageDir, `${asset.path}.meta`);
    if (!existsSync(metaPath)) {
      errors.push(`${asset.path}: missing ${basename(asset.path)}.meta (Unity ignores assets without one in an immutable package)`);
      continue;
    }
    const meta = parseMeta(readFileSync(metaPath, 'utf8'));
    if (meta.fileFormatVersion !== '2') errors.push(`${asset.path}.meta: fileFormatVersion must be 2`);
    if (!GUID.test(meta.guid ?? '')) {
      errors.push(`${asset.path}.meta: guid must be 32 lowercase hex characters, got ${JSON.stringify(meta.guid)}`);
    } else if (guids.has(meta.guid)) {
      errors.push(`${asset.path}.meta: guid ${meta.guid} is also used by ${guids.get(meta.guid)}.meta`);
    } else {
      guids.set(meta.guid, asset.path);
    }
    if (asset.isDirectory && meta.folderAsset !== 'yes') errors.push(`${asset.path}.meta: a folder's .meta needs folderAsset: yes`);
    if (!asset.isDirectory && 'folderAsset' in meta) errors.push(`${asset.path}.meta: folderAsset on a file`);
    const importer = importerFor(asset.path, asset.isDirectory);
    if (!(importer in meta)) errors.push(`${asset.path}.meta: expected a ${importer} section`);
  }
  const walkMetas = (dir) => {
    for (const name of readdirSync(dir)) {
      if (isIgnored(name)) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walkMetas(full);
      else if (name.endsWith('.meta')) {
        const target = relative(packageDir, full).split(sep).join('/').slice(0, -'.meta'.length);
        if (!assetPaths.has(target)) errors.push(`${target}.meta: orphaned (no ${basename(target)} next to it)`);
      }
    }
  };
  walkMetas(packageDir);

  // Layout.
  for (const folder of REQUIRED_FOLDERS) {
    if (!existsSync(join(packageDir, folder))) errors.push(`${folder}/: required UPM folder is missing`);
  }
  for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'Documentation~/index.md']) {
    if (!existsSync(join(packageDir, file))) errors.push(`${file}: missing`);
  }

  // package.json.
  let manifest = {};
  try {
    manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  } catch (e) {
    errors.push(`package.json: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (manifest.name !== PACKAGE_NAME) errors.push(`package.json: name must be ${PACKAGE_NAME}, got ${JSON.stringify(manifest.name)}`);
  if (!SEMVER.test(manifest.version ?? '')) errors.push(`package.json: version must be semver, got ${JSON.stringify(manifest.version)}`);
  if (manifest.unity !== '2022.3') errors.push(`package.json: unity must be "2022.3", got ${JSON.stringify(manifest.unity)}`);
  for (const field of ['displayName', 'description']) {
    if (typeof manifest[field] !== 'string' || manifest[field].trim() === '') errors.push(`package.json: ${field} is required`);
  }
  const dependencies = manifest.dependencies ?? {};
  if (typeof dependencies !== 'object' || Array.isArray(dependencies)) errors.push('package.json: dependencies must be an object');
  if (!SEMVER.test(dependencies[GLTFAST] ?? '')) errors.push(`package.json: dependencies.${GLTFAST} must be an exact version`);
  for (const name of Object.keys(dependencies)) {
    if (name !== GLTFAST) errors.push(`package.json: unexpected hard dependency ${name} (decoders are optional: detected through versionDefines)`);
  }
  for (const sample of manifest.samples ?? []) {
    if (!sample.displayName || !sample.path) errors.push(`package.json: every sample needs displayName and path`);
    else if (!sample.path.startsWith('Samples~/') || !existsSync(join(packageDir, sample.path))) errors.push(`package.json: sample path ${sample.path} must exist under Samples~/`);
  }

  // asmdefs.
  const asmdefs = readAsmdefs(packageDir);
  const byName = new Map();
  for (const asmdef of asmdefs) {
    if (asmdef.error || !asmdef.json) {
      errors.push(`${asmdef.path}: not valid JSON (${asmdef.error})`);
      continue;
    }
    const name = asmdef.json.name;
    if (typeof name !== 'string' || name === '') errors.push(`${asmdef.path}: name is required`);
    else if (byName.has(name)) errors.push(`${asmdef.path}: name ${name} is also used by ${byName.get(name).path}`);
    else byName.set(name, asmdef);
    if (basename(asmdef.path) !== `${name}.asmdef`) errors.push(`${asmdef.path}: file name should be ${name}.asmdef`);
  }
  const byGuid = new Map(asmdefs.filter((a) => a.guid).map((a) => [a.guid, a]));
  const resolved = new Map(); // name -> [referenced asmdef names]
  for (const asmdef of asmdefs) {
    const json = asmdef.json;
    if (!json) continue;
    const test = isTestAsmdef(json);
    const refs = [];
    for (const reference of json.references ?? []) {
      let target;
      if (reference.startsWith('GUID:')) {
        target = byGuid.get(reference.slice(5));
        if (!target) {
          errors.push(`${asmdef.path}: reference ${reference} matches no asmdef of the package`);
          continue;
        }
      } else {
        target = byName.get(reference);
      }
      if (target) {
        refs.push(target.json.name);
        if (isEditorOnly(target.json) && !isEditorOnly(json)) errors.push(`${asmdef.path}: a player assembly cannot reference the Editor-only ${target.json.name}`);
        if (isTestAsmdef(target.json) && !test) errors.push(`${asmdef.path}: references the test assembly ${target.json.name}`);
        continue;
      }
      const provider = EXTERNAL_ASSEMBLIES[reference];
      if (!provider) {
        errors.push(`${asmdef.path}: reference ${reference} resolves to no asmdef of the package and no known dependency`);
      } else if (provider === 'com.unity.test-framework') {
        if (!test) errors.push(`${asmdef.path}: only test assemblies (defineConstraints UNITY_INCLUDE_TESTS) may reference ${reference}`);
      } else if (!(provider in dependencies)) {
        errors.push(`${asmdef.path}: references ${reference} but package.json does not depend on ${provider}`);
      }
    }
    resolved.set(json.name, refs);
    if (test) {
      if (json.autoReferenced !== false) errors.push(`${asmdef.path}: test assemblies should set autoReferenced: false`);
      if (!json.overrideReferences || !(json.precompiledReferences ?? []).includes('nunit.framework.dll')) {
        errors.push(`${asmdef.path}: test assemblies need overrideReferences and precompiledReferences ["nunit.framework.dll"]`);
      }
    }
    const underEditor = asmdef.path.startsWith('Editor/') || asmdef.path.startsWith('Tests/Editor/');
    if (underEditor && !isEditorOnly(json)) errors.push(`${asmdef.path}: Editor folders need includePlatforms ["Editor"]`);
    for (const define of json.versionDefines ?? []) {
      if (!OPTIONAL_PACKAGES.includes(define.name) && define.name !== GLTFAST) {
        errors.push(`${asmdef.path}: versionDefines names ${define.name}, not one of the optional decoder packages`);
      }
      if (!/^[A-Z][A-Z0-9_]*$/.test(define.define ?? '')) errors.push(`${asmdef.path}: versionDefines define ${JSON.stringify(define.define)} is not a symbol`);
    }
  }
  const core = byName.get('Kiln.Loader.Core');
  if (!core) errors.push('Kiln.Loader.Core.asmdef: the engine-free core assembly is missing');
  else {
    if (core.json.noEngineReferences !== true) errors.push(`${core.path}: the core must set noEngineReferences: true`);
    if ((core.json.references ?? []).length > 0) errors.push(`${core.path}: the core must reference no assembly`);
  }
  const glue = byName.get('Kiln.Loader');
  if (glue) {
    const declared = new Set((glue.json.versionDefines ?? []).map((d) => d.name));
    for (const name of OPTIONAL_PACKAGES) {
      if (!declared.has(name)) errors.push(`${glue.path}: versionDefines should detect the optional package ${name}`);
    }
  }
  // No reference cycles.
  const state = new Map();
  const visit = (name, trail) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'active') {
      errors.push(`asmdef reference cycle: ${[...trail, name].join(' -> ')}`);
      return;
    }
    state.set(name, 'active');
    for (const next of resolved.get(name) ?? []) visit(next, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of resolved.keys()) visit(name, []);

  // Every script compiles into some asmdef (a package script outside one is not compiled).
  const scripts = assets.filter((asset) => !asset.isDirectory && asset.path.endsWith('.cs'));
  for (const script of scripts) {
    if (!owningAsmdef(asmdefs, script.path)) errors.push(`${script.path}: not under any .asmdef`);
  }

  return {
    errors,
    stats: { assets: assets.length, metas: guids.size, asmdefs: asmdefs.length, scripts: scripts.length },
  };
}
