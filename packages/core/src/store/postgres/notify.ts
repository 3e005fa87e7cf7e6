import type { Notification, Pool, PoolClient } from 'pg';
import type { Logger } from '../../logger.js';
import { q } from './sql.js';

/**
 * Wakes watchers of a store: on `NOTIFY` from commits of other processes (on one pooled
 * connection that LISTENs while anybody watches), coalesced over `coalesceMs`, and every `pollMs`
 * whatever happened (the fallback: a lost connection, a lapsed lease, a due timer). The
 * connection is taken on the first watcher and given back after the last. @internal
 */
export class ChangeFeed {
  readonly #watchers = new Set<() => void>();
  #client: PoolClient | undefined;
  #connecting: Promise<void> | undefined;
  #poll: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #coalesce: NodeJS.Timeout | undefined;
  #closed = false;
  #onError: ((error: Error) => void) | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly channel: string,
    private readonly instanceId: string,
    private readonly pollMs: number,
    private readonly coalesceMs: number,
    private readonly logger: Logger,
  ) {}

  watch(onChange: () => void): () => void {
    if (this.#closed) return () => {};
    this.#watchers.add(onChange);
    if (this.#watchers.size === 1) this.#start();
    return () => {
      this.#watchers.delete(onChange);
      if (this.#watchers.size === 0) this.#stop();
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watchers.clear();
    this.#stop();
    await this.#connecting?.catch(() => {});
  }

  #fire = () => {
    this.#coalesce = undefined;
    for (const watcher of [...this.#watchers]) {
      try {
        watcher();
      } catch (error) {
        this.logger.error(`postgres store: a watcher threw: ${String(error)}`);
      }
    }
  };

  #onNotification = (message: Notification) => {
    if (message.channel !== this.channel || message.payload === this.instanceId) return;
    if (this.#coalesce) return;
    this.#coalesce = setTimeout(this.#fire, this.coalesceMs);
    this.#coalesce.unref?.();
  };

  #start(): void {
    this.#poll = setInterval(this.#fire, this.pollMs);
    this.#poll.unref?.();
    this.#listen();
  }

  #stop(): void {
    if (this.#poll) clearInterval(this.#poll);
    if (this.#reconnect) clearTimeout(this.#reconnect);
    if (this.#coalesce) clearTimeout(this.#coalesce);
    this.#poll = this.#reconnect = this.#coalesce = undefined;
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.off('notification', this.#onNotification);
      if (this.#onError) client.off('error', this.#onError);
      client.query(`UNLISTEN ${q(this.channel)}`).then(
        () => client.release(),
        (error: unknown) => client.release(error instanceof Error ? error : new Error(String(error))),
      );
    }
  }

  #listen(): void {
    if (this.#closed || this.#client || this.#connecting || this.#watchers.size === 0) return;
    this.#connecting = (async () => {
      let client: PoolClient | undefined;
      try {
        client = await this.pool.connect();
        client.on('notification', this.#onNotification);
        const listening = client;
        this.#onError = (error: Error) => this.#lost(listening, error);
        client.once('error', this.#onError);
        await client.query(`LISTEN ${q(this.channel)}`);
        if (this.#closed || this.#watchers.size === 0) {
          client.off('notification', this.#onNotification);
          client.off('error', this.#onError);
          client.release();
          return;
        }
        this.#client = client;
        // Something may have changed while nobody listened.
        this.#fire();
      } catch (error) {
        if (client) client.release(error instanceof Error ? error : new Error(String(error)));
        this.logger.warn(`postgres store: LISTEN ${this.channel} failed, polling every ${this.pollMs} ms until it works: ${String(error)}`);
        this.#retryLater();
      } finally {
        this.#connecting = undefined;
      }
    })();
  }

  #lost(client: PoolClient, error: Error): void {
    client.off('notification', this.#onNotification);
    if (this.#client === client) this.#client = undefined;
    client.release(error);
    if (this.#closed || this.#watchers.size === 0) return;
    this.logger.warn(`postgres store: the LISTEN connection was lost (${error.message}); polling every ${this.pollMs} ms and reconnecting`);
    this.#retryLater();
  }

  #retryLater(): void {
    if (this.#closed || this.#reconnect || this.#watchers.size === 0) return;
    this.#reconnect = setTimeout(() => {
      this.#reconnect = undefined;
      this.#listen();
    }, this.pollMs);
    this.#reconnect.unref?.();
  }
}
