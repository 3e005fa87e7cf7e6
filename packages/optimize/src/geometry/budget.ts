import type { Document, Transform } from '@gltf-transform/core';
import { createTransform } from '@gltf-transform/functions';
import { OptimizeError } from '../errors.js';
import type { BudgetReport } from '../report.js';
import { simplifyDocument, type SimplifyResult, type Simplifier } from './simplify.js';

/** Options of {@link triangleBudget}. */
export interface TriangleBudgetOptions {
  /** meshoptimizer's `MeshoptSimplifier`, injected. */
  simplifier: Simplifier;
  maxTriangles: number;
  /** Error bound, as a fraction of the mesh extent. */
  error?: number;
  /** `error` throws `budget_unreachable`; `warn` calls `onWarning` and keeps what was reached. */
  onUnreachable?: 'error' | 'warn';
  onResult?: (budget: BudgetReport, result: SimplifyResult) => void;
  onWarning?: (message: string) => void;
}

/** Defaults of {@link TriangleBudgetOptions}. */
export const TRIANGLE_BUDGET_DEFAULTS = Object.freeze({ error: 0.01, onUnreachable: 'error' as 'error' | 'warn' });

/**
 * Simplifies the document with meshoptimizer until it draws at most `maxTriangles` triangles, or
 * the error bound stops the simplifier. Reports the triangles actually reached; an unmet budget
 * fails with `budget_unreachable` unless `onUnreachable: 'warn'`.
 */
export function triangleBudget(options: TriangleBudgetOptions): Transform {
  const error = options.error ?? TRIANGLE_BUDGET_DEFAULTS.error;
  const onUnreachable = options.onUnreachable ?? TRIANGLE_BUDGET_DEFAULTS.onUnreachable;
  return createTransform('budget', async (document: Document) => {
    const limit = options.maxTriangles;
    const result = await simplifyDocument(document, { simplifier: options.simplifier, goal: { maxTriangles: limit }, error });
    const budget: BudgetReport = { maxTriangles: limit, trianglesBefore: result.trianglesBefore, triangles: result.triangles, met: result.reached, errorBound: error, error: result.error };
    options.onResult?.(budget, result);
    if (!result.reached) {
      const message = `triangle budget ${limit} unreachable: ${result.triangles} triangles at the error bound ${error} (from ${result.trianglesBefore}); raise the budget or the error bound (budgetError; kiln optimize --budget-error), or accept the result (onBudgetUnreachable: 'warn'; --allow-over-budget)`;
      if (onUnreachable === 'error') throw new OptimizeError('budget_unreachable', message, { details: { ...budget } });
      options.onWarning?.(message);
    }
  });
}
