import { silentLogger, type Logger } from '../logger.js';
import { redactText } from '../reliability/redact.js';
import type { CoreEvent } from '../store/types.js';

/** Notification types and their embed colours. */
export const NOTIFICATION_COLORS = {
  SUCCESS: 0x2ecc71,
  ERROR: 0xe74c3c,
  WARNING: 0xf1c40f,
  INFO: 0x3498db,
  ASSET: 0x9b59b6,
  DEPLOY: 0x1abc9c,
  COST: 0xe67e22,
  BACKUP: 0x95a5a6,
} as const;
/** One of the notification types. */
export type NotificationType = keyof typeof NOTIFICATION_COLORS;

/** A notification, rendered as a Discord-style embed. */
export interface Notification {
  type: NotificationType;
  title: string;
  description?: string;
  fields?: { name: string; value: string; inline?: boolean }[];
  url?: string;
  /** ISO time. Default: when it was queued. */
  timestamp?: string;
}

/** Options of {@link webhookNotifier}. */
export interface WebhookNotifierOptions {
  /** The webhook URL (Discord, Slack-compatible, …). It is a secret: never logged. */
  url: string;
  /** Messages per second. Default 5. */
  ratePerSecond?: number;
  /** When more notifications than this wait, they go out as digests (up to 10 embeds, or one summary). Default 5. */
  digestThreshold?: number;
  /** Retries of a failed send (5xx, 429, network). Default 3. */
  retries?: number;
  /** Base of the retry backoff. Default 500 ms. */
  retryBaseMs?: number;
  /** Longest queue; older notifications are dropped (and counted) past it. Default 1000. */
  maxQueue?: number;
  username?: string;
  fetch?: typeof globalThis.fetch;
  logger?: Logger;
}

/** Defaults of {@link WebhookNotifierOptions}. */
export const WEBHOOK_DEFAULTS = { ratePerSecond: 5, digestThreshold: 5, retries: 3, retryBaseMs: 500, maxQueue: 1000 } as const;

/** A rate-limited webhook sender; see {@link webhookNotifier}. */
export interface Notifier {
  /** Queues a notification; resolves once it was delivered (or given up on). */
  notify(notification: Notification): Promise<void>;
  /** Resolves when the queue is empty. */
  flush(): Promise<void>;
  readonly stats: { sent: number; messages: number; failed: number; dropped: number };
}

/** The Discord embed of a notification. */
export function toEmbed(n: Notification): Record<string, unknown> {
  return {
    title: n.title.slice(0, 256),
    ...(n.description ? { description: n.description.slice(0, 4096) } : {}),
    color: NOTIFICATION_COLORS[n.type],
    ...(n.fields?.length ? { fields: n.fields.slice(0, 25).map((f) => ({ name: f.name.slice(0, 256), value: f.value.slice(0, 1024), inline: f.inline ?? false })) } : {}),
    ...(n.url ? { url: n.url } : {}),
    timestamp: n.timestamp ?? new Date().toISOString(),
    footer: { text: n.type },
  };
}

/**
 * A webhook notifier with Discord-style embeds: a token bucket of `ratePerSecond` messages, a
 * queue that turns into digests when it backs up (up to 10 embeds per message, or one summary
 * embed counting notifications by type), and retries with backoff that honour 429 `retry_after`.
 */
export function webhookNotifier(options: WebhookNotifierOptions): Notifier {
  const rate = options.ratePerSecond ?? WEBHOOK_DEFAULTS.ratePerSecond;
  const digestAt = options.digestThreshold ?? WEBHOOK_DEFAULTS.digestThreshold;
  const retries = options.retries ?? WEBHOOK_DEFAULTS.retries;
  const retryBase = options.retryBaseMs ?? WEBHOOK_DEFAULTS.retryBaseMs;
  const maxQueue = options.maxQueue ?? WEBHOOK_DEFAULTS.maxQueue;
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const logger = options.logger ?? silentLogger;
  const queue: { n: Notification; done: () => void }[] = [];
  const stats = { sent: 0, messages: 0, failed: 0, dropped: 0 };
  let running: Promise<void> | undefined;
  let nextSlot = 0;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const post = async (body: unknown): Promise<boolean> => {
    for (let attempt = 0; ; attempt++) {
      let wait = retryBase * 2 ** attempt * (0.5 + Math.random() / 2);
      try {
        const response = await fetchFn(options.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (response.ok) return true;
        if (response.status === 429) {
          const json = (await response.json().catch(() => ({}))) as { retry_after?: number };
          const header = Number(response.headers.get('retry-after'));
          wait = json.retry_after !== undefined ? json.retry_after * 1000 : Number.isFinite(header) && header > 0 ? header * 1000 : wait;
        } else if (response.status < 500) {
          logger.error(`notify: the webhook refused a message with HTTP ${response.status}; not retried`);
          return false;
        }
        if (attempt >= retries) {
          logger.error(`notify: giving up after ${retries} retries (HTTP ${response.status})`);
          return false;
        }
      } catch (error) {
        if (attempt >= retries) {
          logger.error(`notify: giving up after ${retries} retries: ${redactText(String(error))}`);
          return false;
        }
      }
      await sleep(wait);
    }
  };

  const drain = async () => {
    while (queue.length > 0) {
      const now = Date.now();
      if (now < nextSlot) await sleep(nextSlot - now);
      nextSlot = Math.max(Date.now(), nextSlot) + 1000 / rate;
      const batch = queue.length > digestAt ? queue.splice(0, queue.length > 10 ? queue.length : 10) : queue.splice(0, 1);
      let embeds: Record<string, unknown>[];
      if (batch.length <= 10) embeds = batch.map((b) => toEmbed(b.n));
      else {
        const counts = new Map<NotificationType, number>();
        for (const b of batch) counts.set(b.n.type, (counts.get(b.n.type) ?? 0) + 1);
        const worst = (['ERROR', 'WARNING', 'COST', 'SUCCESS', 'ASSET', 'DEPLOY', 'BACKUP', 'INFO'] as NotificationType[]).find((t) => counts.has(t)) ?? 'INFO';
        embeds = [
          toEmbed({
            type: worst,
            title: `Digest: ${batch.length} notifications`,
            description: batch.slice(0, 20).map((b) => `• [${b.n.type}] ${b.n.title}`).join('\n') + (batch.length > 20 ? `\n… and ${batch.length - 20} more` : ''),
            fields: [...counts].map(([type, count]) => ({ name: type, value: String(count), inline: true })),
          }),
        ];
      }
      const ok = await post({ ...(options.username ? { username: options.username } : {}), embeds });
      stats.messages += ok ? 1 : 0;
      if (ok) stats.sent += batch.length;
      else stats.failed += batch.length;
      for (const b of batch) b.done();
    }
  };

  const kick = () => {
    running ??= drain().finally(() => {
      running = undefined;
      if (queue.length > 0) kick();
    });
    return running;
  };

  return {
    stats,
    notify(notification) {
      return new Promise<void>((resolve) => {
        if (queue.length >= maxQueue) {
          queue.shift()?.done();
          stats.dropped++;
        }
        queue.push({ n: { ...notification, timestamp: notification.timestamp ?? new Date().toISOString() }, done: resolve });
        void kick();
      });
    },
    async flush() {
      while (running || queue.length > 0) await (running ?? kick());
    },
  };
}

/** Options of {@link jsonWebhook}. */
export interface JsonWebhookOptions {
  url: string;
  headers?: Record<string, string>;
  /** Default 3. */
  retries?: number;
  retryBaseMs?: number;
  fetch?: typeof globalThis.fetch;
  logger?: Logger;
}

/** A generic JSON webhook: POSTs any payload (an event, a notification), with retries on 5xx, 429 and network errors. */
export function jsonWebhook(options: JsonWebhookOptions): { send(payload: unknown): Promise<boolean> } {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const retries = options.retries ?? WEBHOOK_DEFAULTS.retries;
  const base = options.retryBaseMs ?? WEBHOOK_DEFAULTS.retryBaseMs;
  return {
    async send(payload) {
      for (let attempt = 0; ; attempt++) {
        try {
          const response = await fetchFn(options.url, { method: 'POST', headers: { 'content-type': 'application/json', ...options.headers }, body: JSON.stringify(payload) });
          if (response.ok) return true;
          if (response.status < 500 && response.status !== 429) return false;
        } catch {
          // retried
        }
        if (attempt >= retries) {
          options.logger?.error(`jsonWebhook: giving up after ${retries} retries`);
          return false;
        }
        await new Promise((r) => setTimeout(r, base * 2 ** attempt));
      }
    },
  };
}

/**
 * The default notification of an outbox event, or `undefined` for events not worth a message:
 * finished runs (SUCCESS, or ERROR when failed), dead letters (ERROR), steps waiting for review
 * (INFO) and stored assets (ASSET).
 */
export function notificationForEvent(event: CoreEvent): Notification | undefined {
  const fields = [
    { name: 'job', value: event.correlation.job_id, inline: true },
    ...(event.correlation.step_id ? [{ name: 'step', value: event.correlation.step_id.split('/').pop() ?? '', inline: true }] : []),
    { name: 'project', value: event.projectId, inline: true },
  ];
  switch (event.type) {
    case 'RunCompleted': {
      const state = String(event.data['state']);
      const manifest = (event.data['manifest'] as { url?: string } | undefined)?.url;
      return { type: state === 'completed' ? 'SUCCESS' : state === 'canceled' ? 'WARNING' : 'ERROR', title: `Run ${state}`, fields, ...(manifest ? { url: manifest } : {}) };
    }
    case 'StepFailed':
      return event.data['deadLettered'] ? { type: 'ERROR', title: `Step dead-lettered: ${String(event.data['step'])}`, description: String(event.data['message'] ?? ''), fields } : undefined;
    case 'StepCompleted':
      return event.data['awaitingReview'] ? { type: 'INFO', title: `Review needed: ${String(event.data['step'])}`, fields } : undefined;
    case 'UserReviewUpdated':
      return event.data['escalated'] ? { type: 'WARNING', title: `Review overdue: ${String(event.data['step'])}`, description: String(event.data['note'] ?? ''), fields } : undefined;
    case 'AssetIndexed': {
      const url = event.data['url'];
      return { type: 'ASSET', title: `Asset stored: ${String(event.data['filename'])}`, fields, ...(typeof url === 'string' ? { url } : {}) };
    }
    default:
      return undefined;
  }
}
