/**
 * Exponentially weighted moving averages of step durations per key (backend, model, operation),
 * for ETAs. The first sample sets the average; later ones move it by `alpha`.
 */
export class EwmaTable {
  readonly #values = new Map<string, { mean: number; samples: number }>();
  constructor(readonly alpha = 0.2) {}

  add(key: string, value: number): void {
    const current = this.#values.get(key);
    if (!current) this.#values.set(key, { mean: value, samples: 1 });
    else this.#values.set(key, { mean: current.mean + this.alpha * (value - current.mean), samples: current.samples + 1 });
  }

  get(key: string): number | undefined {
    return this.#values.get(key)?.mean;
  }

  /** The mean of all keys, for keys never seen. */
  overall(): number | undefined {
    let sum = 0;
    let n = 0;
    for (const { mean } of this.#values.values()) {
      sum += mean;
      n++;
    }
    return n === 0 ? undefined : sum / n;
  }

  entries(): { key: string; mean: number; samples: number }[] {
    return [...this.#values].map(([key, v]) => ({ key, ...v }));
  }
}
