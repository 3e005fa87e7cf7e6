import { z } from 'zod';
import { parseInput } from '@kiln/manifest';

/**
 * The S3 storage classes {@link estimateMonthlyCost} prices.
 * @example
 * ```ts
 * const storageClass: StorageClassName = 'GLACIER_IR';
 * ```
 */
export type StorageClassName = 'STANDARD' | 'STANDARD_IA' | 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE';

/**
 * The storage classes, in order of falling storage price.
 * @example
 * ```ts
 * STORAGE_CLASSES.map((c) => DEFAULT_PRICING.storagePerGbMonth[c]); // [0.0245, 0.0125, 0.004, 0.004, 0.0018]
 * ```
 */
export const STORAGE_CLASSES: readonly StorageClassName[] = ['STANDARD', 'STANDARD_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'];

/**
 * Bytes in one billed "GB": AWS bills binary gigabytes (GiB, 2^30 bytes) and calls them GB.
 * @example
 * ```ts
 * estimateMonthlyCost({ storedBytesByClass: { STANDARD: 10 * BYTES_PER_GB } }).total; // 0.245
 * ```
 */
export const BYTES_PER_GB = 2 ** 30;

/**
 * Prices in USD used by {@link estimateMonthlyCost}.
 * @example
 * ```ts
 * const pricing: Pricing = { ...DEFAULT_PRICING, region: 'eu-west-1', transferOutPerGb: 0.09 };
 * ```
 */
export interface Pricing {
  /** The region the prices are for, for the record. */
  region: string;
  /** Storage per GB-month (GB = 2^30 bytes), by class. */
  storagePerGbMonth: Readonly<Record<StorageClassName, number>>;
  /** PUT, COPY, POST and LIST requests, per 1,000. */
  putPer1000: number;
  /** GET, SELECT and all other requests, per 1,000. */
  getPer1000: number;
  /** Data transfer out to the internet, per GB (first paid tier). */
  transferOutPerGb: number;
}

/**
 * S3 list prices for eu-north-1 (Stockholm): Standard $0.0245/GB-month, Standard-IA $0.0125,
 * Glacier Instant Retrieval and Glacier Flexible Retrieval $0.004, Deep Archive $0.0018; PUT $0.005
 * and GET $0.0004 per 1,000 requests; transfer out $0.09/GB.
 * @example
 * ```ts
 * estimateMonthlyCost(usage, DEFAULT_PRICING);
 * ```
 */
export const DEFAULT_PRICING: Pricing = {
  region: 'eu-north-1',
  storagePerGbMonth: {
    STANDARD: 0.0245,
    STANDARD_IA: 0.0125,
    GLACIER_IR: 0.004,
    GLACIER: 0.004,
    DEEP_ARCHIVE: 0.0018,
  },
  putPer1000: 0.005,
  getPer1000: 0.0004,
  transferOutPerGb: 0.09,
};

/**
 * Usage over one month for {@link estimateMonthlyCost}.
 * @example
 * ```ts
 * const usage: MonthlyUsage = { storedBytesByClass: { STANDARD: 5 * BYTES_PER_GB }, getRequests: 200_000 };
 * ```
 */
export interface MonthlyUsage {
  /** Average bytes stored over the month, by storage class. */
  storedBytesByClass: Partial<Record<StorageClassName, number>>;
  /** PUT/COPY/POST/LIST requests in the month. Default: 0. */
  putRequests?: number;
  /** GET requests in the month. Default: 0. */
  getRequests?: number;
  /** Bytes sent to the internet in the month. Default: 0. */
  transferOutBytes?: number;
}

/**
 * One priced line of a {@link CostEstimate}.
 * @example
 * ```ts
 * { kind: 'requests', name: 'GET', quantity: 200, unit: '1000 requests', unitPrice: 0.0004, cost: 0.08 }
 * ```
 */
export interface CostLine {
  kind: 'storage' | 'requests' | 'transfer';
  /** The storage class, `PUT`, `GET` or `out`. */
  name: string;
  /** Amount in `unit`: GB-months, thousands of requests or GB. */
  quantity: number;
  unit: 'GB-month' | '1000 requests' | 'GB';
  /** USD per `unit`. */
  unitPrice: number;
  /** `quantity × unitPrice`, USD, unrounded. */
  cost: number;
}

/**
 * The result of {@link estimateMonthlyCost}; amounts in USD, unrounded.
 * @example
 * ```ts
 * const { total, lines } = estimateMonthlyCost(usage);
 * const text = `$${total.toFixed(2)}/month over ${lines.length} lines`;
 * ```
 */
export interface CostEstimate {
  storage: number;
  requests: number;
  transfer: number;
  total: number;
  currency: 'USD';
  lines: CostLine[];
}

const amount = z.number({ error: 'must be a number' }).finite('must be finite').min(0, 'must not be negative');
const count = z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative');

const usageSchema = z.object({
  storedBytesByClass: z
    .object(
      {
        STANDARD: amount.optional(),
        STANDARD_IA: amount.optional(),
        GLACIER_IR: amount.optional(),
        GLACIER: amount.optional(),
        DEEP_ARCHIVE: amount.optional(),
      },
      { error: 'must be an object of bytes by storage class' },
    )
    .strict(),
  putRequests: count.default(0),
  getRequests: count.default(0),
  transferOutBytes: amount.default(0),
});

const pricingSchema = z.object({
  region: z.string(),
  storagePerGbMonth: z.object({ STANDARD: amount, STANDARD_IA: amount, GLACIER_IR: amount, GLACIER: amount, DEEP_ARCHIVE: amount }),
  putPer1000: amount,
  getPer1000: amount,
  transferOutPerGb: amount,
});

/**
 * A monthly S3 bill estimate: storage (GB-months by class), requests (per 1,000) and transfer out,
 * with one line per priced quantity. GB means 2^30 bytes ({@link BYTES_PER_GB}), as AWS bills
 * (its "GB" is a GiB). Deliberately simple: flat first-tier prices, no free tier, no per-class
 * request prices, retrieval fees, minimum durations or minimum object sizes (Standard-IA bills at
 * least 128 KiB per object), so treat it as a floor for archive classes.
 *
 * @throws KilnValidationError naming the field, such as `storedBytesByClass.STANDARD: must not be negative`.
 * @example
 * ```ts
 * const estimate = estimateMonthlyCost({ storedBytesByClass: { STANDARD: 100 * 2 ** 30 }, getRequests: 1_000_000, transferOutBytes: 50 * 2 ** 30 });
 * estimate.total; // 2.45 + 0.4 + 4.5 = 7.35
 * ```
 */
export function estimateMonthlyCost(usage: MonthlyUsage, pricing: Pricing = DEFAULT_PRICING): CostEstimate {
  const u = parseInput(usageSchema, usage, 'storage.estimateMonthlyCost');
  const p = parseInput(pricingSchema, pricing, 'storage.estimateMonthlyCost: pricing');
  const lines: CostLine[] = [];
  for (const storageClass of STORAGE_CLASSES) {
    const bytes = u.storedBytesByClass[storageClass];
    if (bytes === undefined) continue;
    const quantity = bytes / BYTES_PER_GB;
    const unitPrice = p.storagePerGbMonth[storageClass];
    lines.push({ kind: 'storage', name: storageClass, quantity, unit: 'GB-month', unitPrice, cost: quantity * unitPrice });
  }
  if (usage.putRequests !== undefined) {
    const quantity = u.putRequests / 1000;
    lines.push({ kind: 'requests', name: 'PUT', quantity, unit: '1000 requests', unitPrice: p.putPer1000, cost: quantity * p.putPer1000 });
  }
  if (usage.getRequests !== undefined) {
    const quantity = u.getRequests / 1000;
    lines.push({ kind: 'requests', name: 'GET', quantity, unit: '1000 requests', unitPrice: p.getPer1000, cost: quantity * p.getPer1000 });
  }
  if (usage.transferOutBytes !== undefined) {
    const quantity = u.transferOutBytes / BYTES_PER_GB;
    lines.push({ kind: 'transfer', name: 'out', quantity, unit: 'GB', unitPrice: p.transferOutPerGb, cost: quantity * p.transferOutPerGb });
  }
  const sum = (kind: CostLine['kind']) => lines.filter((line) => line.kind === kind).reduce((total, line) => total + line.cost, 0);
  const storage = sum('storage');
  const requests = sum('requests');
  const transfer = sum('transfer');
  return { storage, requests, transfer, total: storage + requests + transfer, currency: 'USD', lines };
}
