import { afterEach, beforeEach, vi } from 'vitest';

// Stray console output fails the test that produced it (as in zod's test setup): library code
// logs through an injected logger, never through `console`.
const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
let calls: string[] = [];

beforeEach(() => {
  calls = [];
  for (const method of methods) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      calls.push(`console.${method}: ${args.map(String).join(' ')}`);
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
  if (calls.length > 0) {
    const found = calls.join('\n');
    calls = [];
    throw new Error(`Unexpected console output:\n${found}`);
  }
});
