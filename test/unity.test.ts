// The Unity package (packages/unity, UPM com.kiln.loader) built and tested without Unity, with
// Debian's Mono and NUnit (`npm test` installs mono-mcs, mono-devel, libnunit-cil-dev and
// nunit-console): the structure check, the engine-free core and the Unity glue compiled against
// stub assemblies written into a temporary folder, and the NUnit tests: the C# unit tests, every
// @kiln/manifest test vector, and cases generated here by the TypeScript implementation that the C#
// port must answer identically. `node packages/unity/Tools~/run-tests.mjs` runs the same code.
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as kiln from '../packages/manifest/src/index.js';
import { formatReport, PACKAGE_DIR, parseNUnitXml, runUnityChecks, type UnityCheckResult } from '../packages/unity/Tools~/harness.mjs';
import { checkStructure, parseMeta } from '../packages/unity/Tools~/structure.mjs';

let result: UnityCheckResult | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    result = await runUnityChecks({ kiln });
    // The issue asks `npm test` to print the NUnit tally; Vitest shows a worker's stdout as is.
    if (result.tests) process.stdout.write(`Unity C# (NUnit): ${result.tests.passed} passed, ${result.tests.failed} failed\n`);
  } catch (error) {
    setupError = error;
  }
}, 240_000);

function checked(): UnityCheckResult {
  if (setupError !== undefined) throw setupError;
  if (!result) throw new Error('the Unity checks did not run');
  return result;
}

describe('Unity package com.kiln.loader', () => {
  it('has a valid UPM structure: .meta files with unique GUIDs, package.json, asmdef references', () => {
    const { structure } = checked();
    expect(structure.errors, structure.errors.join('\n')).toEqual([]);
    expect(structure.stats.asmdefs).toBe(5);
  });

  it('compiles the engine-free core without any UnityEngine reference', () => {
    const core = checked().compile.find((c) => c.kind === 'core');
    expect(core?.ok, core?.output).toBe(true);
    expect(core?.references).toEqual([]);
  });

  it('compiles the glue, Editor, PlayMode tests and sample against the stub assemblies', () => {
    const { compile } = checked();
    const failures = compile.filter((c) => !c.ok).map((c) => `${c.name}:\n${c.output}`);
    expect(failures, failures.join('\n\n')).toEqual([]);
    const kinds = new Set(compile.map((c) => c.kind));
    for (const kind of ['stub', 'core', 'core-variant', 'runtime', 'runtime-variant', 'editor', 'editmode-tests', 'playmode-tests', 'sample'] as const) {
      expect(kinds.has(kind), `no ${kind} assembly was compiled`).toBe(true);
    }
  });

  it('passes every NUnit test (C# core, glue disk store, vectors, differential cases)', () => {
    const current = checked();
    const tests = current.tests;
    if (!tests) throw new Error(`the NUnit tests did not run:\n${formatReport(current)}`);
    if (tests.failed > 0) {
      const list = tests.failures.map((f) => `✖ ${f.name}\n    ${f.message.split('\n').join('\n    ')}`).join('\n');
      throw new Error(`${tests.failed} of ${tests.total} C# tests failed:\n${list}`);
    }
    expect(tests.skippedNames, 'nothing may be skipped here').toEqual([]);
    expect(tests.passed).toBeGreaterThan(800);
  });

  it('runs every @kiln/manifest test vector in C#, each as a passing test case', () => {
    const { vectors } = checked();
    const read = (file: string) => (JSON.parse(readFileSync(join(PACKAGE_DIR, '..', 'manifest', 'test-vectors', file), 'utf8')) as unknown[]).length;
    expect(vectors['resolve.json']).toEqual({ expected: read('resolve.json'), passed: read('resolve.json') });
    expect(vectors['invalid.json']).toEqual({ expected: read('invalid.json'), passed: read('invalid.json') });
    expect(vectors['migrate.json']).toEqual({ expected: read('migrate.json'), passed: read('migrate.json') });
  });

  it('agrees with the TypeScript implementation on generated resolve and parse cases', () => {
    const { vectors } = checked();
    expect(vectors['differential']?.expected).toBe(250);
    expect(vectors['differential']?.passed).toBe(250);
    expect(vectors['differential-parse']?.expected).toBe(250);
    expect(vectors['differential-parse']?.passed).toBe(250);
  });
});

describe('Unity package checks can fail', () => {
  let copy: string;

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'kiln-unity-structure-'));
    cpSync(PACKAGE_DIR, copy, { recursive: true });
  });

  afterAll(() => {
    rmSync(copy, { recursive: true, force: true });
  });

  it('reports a missing .meta, a duplicate GUID, an unresolved asmdef reference and a hard optional dependency', () => {
    unlinkSync(join(copy, 'Runtime', 'Core', 'Json', 'JsonReader.cs.meta'));
    const writerMeta = readFileSync(join(copy, 'Runtime', 'Core', 'Json', 'JsonWriter.cs.meta'), 'utf8');
    const readerGuid = parseMeta(readFileSync(join(copy, 'Runtime', 'Core', 'Json', 'JsonValue.cs.meta'), 'utf8'))['guid'];
    writeFileSync(join(copy, 'Runtime', 'Core', 'Json', 'JsonWriter.cs.meta'), writerMeta.replace(/guid: \w+/, `guid: ${readerGuid}`));
    const glue = JSON.parse(readFileSync(join(copy, 'Runtime', 'Unity', 'Kiln.Loader.asmdef'), 'utf8')) as { references: string[] };
    glue.references.push('Kiln.Missing');
    writeFileSync(join(copy, 'Runtime', 'Unity', 'Kiln.Loader.asmdef'), JSON.stringify(glue));
    const manifest = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    manifest.dependencies['com.unity.cloud.ktx'] = '3.4.0';
    writeFileSync(join(copy, 'package.json'), JSON.stringify(manifest));

    const { errors } = checkStructure(copy);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Runtime/Core/Json/JsonReader.cs: missing JsonReader.cs.meta'),
        expect.stringContaining('Runtime/Core/Json/JsonWriter.cs.meta: guid'),
        expect.stringContaining('reference Kiln.Missing resolves to no asmdef'),
        expect.stringContaining('unexpected hard dependency com.unity.cloud.ktx'),
      ]),
    );
  });

  it('reads failures from NUnit 2.6 and NUnit 3 result XML', () => {
    const v2 = `<test-results><test-suite><results>
      <test-case name="A.B.ok" executed="True" result="Success" success="True" />
      <test-case name="A.B.&quot;bad&quot;" executed="True" result="Failure" success="False"><failure><message><![CDATA[  Expected: 1
  But was:  2]]></message></failure></test-case>
      <test-case name="A.B.boom" executed="True" result="Error" success="False"><failure><message><![CDATA[System.Exception]]></message></failure></test-case>
      <test-case name="A.B.skip" executed="False" result="Ignored"><reason><message><![CDATA[later]]></message></reason></test-case>
    </results></test-suite></test-results>`;
    const v3 = `<test-run><test-case id="1" name="x" fullname="A.B.x" result="Passed" /><test-case id="2" name="y" fullname="A.B.y" result="Failed" label="Error"><failure><message>oops &amp; more</message></failure></test-case><test-case id="3" fullname="A.B.z" result="Skipped" label="Ignored" /></test-run>`;
    expect(parseNUnitXml(v2).map((c) => [c.name, c.status])).toEqual([
      ['A.B.ok', 'passed'],
      ['A.B."bad"', 'failed'],
      ['A.B.boom', 'failed'],
      ['A.B.skip', 'skipped'],
    ]);
    expect(parseNUnitXml(v2)[1]?.message).toContain('But was:  2');
    expect(parseNUnitXml(v3).map((c) => [c.name, c.status, c.message])).toEqual([
      ['A.B.x', 'passed', ''],
      ['A.B.y', 'failed', 'oops & more'],
      ['A.B.z', 'skipped', ''],
    ]);
  });
});
