// Types of harness.mjs, for test/unity.test.ts.

export interface StructureResult {
  errors: string[];
  stats: { assets: number; metas: number; asmdefs: number; scripts: number };
}

export interface CompileResult {
  name: string;
  kind: 'stub' | 'core' | 'core-variant' | 'runtime' | 'runtime-variant' | 'editor' | 'editmode-tests' | 'playmode-tests' | 'sample';
  defines: string[];
  ok: boolean;
  output: string;
  dll?: string;
  sources?: number;
  references?: string[];
}

export interface TestCaseResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  result: string;
  message: string;
}

export interface UnityCheckResult {
  structure: StructureResult;
  compile: CompileResult[];
  tests?: {
    total: number;
    passed: number;
    failed: number;
    skipped: number;
    failures: { name: string; message: string }[];
    skippedNames: string[];
    xmlPath: string;
  };
  vectors: Record<string, { expected: number; passed: number }>;
  workDir?: string;
  notes: string[];
  seconds: number;
  ok: boolean;
  summary: string;
}

/** The subset of @kiln/manifest the differential generator uses. */
export interface ManifestModule {
  parseManifest(input: unknown): unknown;
  safeParseManifest(input: unknown): { success: boolean; error?: { code: string; issues: readonly { path: string }[] } | undefined };
  resolveAsset(manifest: never, assetId: string, options?: never): { level: number; url: string; key: string; sha256: string; cacheKey: string };
  isKilnError(error: unknown): error is { code: string };
}

export const PACKAGE_DIR: string;
export const DEFAULT_VECTORS_DIR: string;
export const DEBIAN_PACKAGES: string[];
export const MCS_FLAGS: string[];
export const PLAYER_VARIANT_DEFINES: string[];

export function findToolchain(): { mcs: string; nunit: string; framework: string };
export function parseNUnitXml(xml: string): TestCaseResult[];
export function runUnityChecks(options?: {
  packageDir?: string;
  vectorsDir?: string;
  kiln?: ManifestModule;
  seed?: number;
  differentialCount?: number;
  keepWorkDir?: boolean;
  log?: (line: string) => void;
}): Promise<UnityCheckResult>;
export function formatReport(result: UnityCheckResult): string;
