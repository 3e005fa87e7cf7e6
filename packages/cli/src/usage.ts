import { KilnError } from '@kiln/manifest';

/** Bad command-line usage: unknown option, bad value, no such input. Exit code 2. */
export class UsageError extends KilnError {
  override name = 'UsageError';

  constructor(message: string) {
    super('usage', message);
  }
}
