// Types of structure.mjs, for test/unity.test.ts.
import type { StructureResult } from './harness.mjs';

export const PACKAGE_NAME: string;
export const GLTFAST: string;
export const OPTIONAL_PACKAGES: string[];
export const REQUIRED_FOLDERS: string[];
export const EXTERNAL_ASSEMBLIES: Record<string, string>;
export function checkStructure(packageDir: string): StructureResult;
export function listAssets(packageDir: string): { path: string; isDirectory: boolean }[];
export function parseMeta(text: string): Record<string, string>;
