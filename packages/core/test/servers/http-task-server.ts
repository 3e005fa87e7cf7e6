// An HTTP task-API test server (node:http): Meshy-like and Tripo-like image-to-3D task APIs and a
// Stable-Fast-3D-like synchronous endpoint.
//
// It STANDS IN for the vendors' real APIs (paid, keyed, and GPU-backed; no network to them here).
// It follows their lifecycles as shared/notes/jobs-and-backends.md §3 describes them:
//
// - Meshy-like: POST /openapi/v1/image-to-3d → 202 {result: id}; GET …/{id} → PENDING,
//   IN_PROGRESS (progress 0-100), SUCCEEDED | FAILED (task_error.message), with `model_urls.glb`
//   and `thumbnail_url` that are signed and EXPIRE (403 "Request has expired"); SSE at
//   …/{id}/stream; signed webhooks on every change, optionally delivered out of order and twice.
//   The two kinds of 429: `RateLimitExceeded` (with Retry-After) and `NoMoreConcurrentTasks`
//   (too many unfinished tasks, no Retry-After).
// - Tripo-like: POST /v2/openapi/upload (multipart) → data.image_token; POST /v2/openapi/task →
//   data.task_id; GET /v2/openapi/task/{id} → queued, running, success, failed, banned, expired
//   and a transient `unknown`; progress, running_left_time (s), queuing_num (tasks ahead while
//   queued), output.pbr_model/model.
// - Both answer 402 to creates once the account is out of credits (Meshy: "Payment Required";
//   Tripo: code 2010), see outOfCredits().
// - SF3D-like: POST /v2beta/3d/stable-fast-3d (multipart image) → the GLB itself; 429 + Retry-After 60.
//
// Every API route needs `Authorization: Bearer <apiKey>`. Test controls: holdTasks()/releaseTasks(),
// rateLimitNext(), expireUrls(), deleteResults(), holdSync(), and webhook delivery settings.
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { glbOf, pngOf } from './files.js';

export interface TaskServerOptions {
  /** Default `msy_test_key_0123456789abcdef`. */
  apiKey?: string;
  /** Unfinished tasks allowed at once; more → 429 NoMoreConcurrentTasks. Default 10. */
  maxConcurrent?: number;
  /** Ticks a task spends IN_PROGRESS. Default 3. */
  progressSteps?: number;
  /** Time per tick. Default 5 ms. */
  tickMs?: number;
  /** Lifetime of a signed output URL. Default 60 000 ms. */
  urlTtlMs?: number;
}

export interface WebhookSettings {
  url: string;
  secret: string;
  /** `in-order` (as they happen) or `reverse-at-end` (all at once after the terminal state, newest first, each twice). */
  order: 'in-order' | 'reverse-at-end';
}

export interface Delivery {
  taskId: string;
  status: string;
  progress: number;
  httpStatus: number;
}

interface Task {
  id: string;
  api: 'meshy' | 'tripo';
  status: 'PENDING' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'BANNED' | 'EXPIRED';
  progress: number;
  ticks: number;
  outcome: 'succeed' | 'fail' | 'ban' | 'expire';
  createdAt: number;
  /** Creation order (createdAt ties within a millisecond). */
  createdSeq: number;
  input: string;
  unknownOnce: boolean;
  changes: Set<() => void>;
  pendingWebhooks: string[];
  webhookSends: Promise<void>[];
}

export interface TaskTestServer {
  readonly url: string;
  readonly apiKey: string;
  readonly requests: { method: string; path: string; headers: Record<string, string | string[] | undefined> }[];
  /** Successful downloads per file path (`/files/<id>/model.glb`). */
  readonly downloads: Map<string, number>;
  readonly deliveries: Delivery[];
  /** Tasks stop advancing until releaseTasks(). */
  holdTasks(): void;
  releaseTasks(): void;
  /** One step of one task (PENDING → IN_PROGRESS → … → terminal), also while tasks are held. */
  advance(taskId: string): void;
  /** The next `count` API requests answer 429 RateLimitExceeded with `Retry-After: retryAfter`. */
  rateLimitNext(count: number, retryAfter?: string): void;
  /** Creates answer 402 (out of credits) while `out` is true. */
  outOfCredits(out: boolean): void;
  /** Every output URL issued so far stops working (403 "Request has expired"). New ones work. */
  expireUrls(): void;
  /** The task's result files are deleted (404), as after the retention period. */
  deleteResults(taskId: string): void;
  /** Synchronous requests wait until the returned function is called. */
  holdSync(): () => void;
  setWebhooks(settings: WebhookSettings | undefined): void;
  /** Resolves when every webhook of the task has been answered. */
  webhooksSettled(taskId: string): Promise<void>;
  /** The task's current status as the API reports it. */
  statusOf(taskId: string): string | undefined;
  close(): Promise<void>;
}

const TRIPO_STATUS: Record<Task['status'], string> = {
  PENDING: 'queued',
  IN_PROGRESS: 'running',
  SUCCEEDED: 'success',
  FAILED: 'failed',
  CANCELED: 'cancelled',
  BANNED: 'banned',
  EXPIRED: 'expired',
};
const TERMINAL = new Set<Task['status']>(['SUCCEEDED', 'FAILED', 'CANCELED', 'BANNED', 'EXPIRED']);

export async function startTaskTestServer(options: TaskServerOptions = {}): Promise<TaskTestServer> {
  const apiKey = options.apiKey ?? 'msy_test_key_0123456789abcdef';
  const maxConcurrent = options.maxConcurrent ?? 10;
  const progressSteps = options.progressSteps ?? 3;
  const tickMs = options.tickMs ?? 5;
  const urlTtlMs = options.urlTtlMs ?? 60_000;
  const signingKey = randomUUID();
  const tasks = new Map<string, Task>();
  const tokens = new Map<string, Uint8Array>();
  const idempotency = new Map<string, string>();
  const requests: TaskTestServer['requests'] = [];
  const downloads = new Map<string, number>();
  const deliveries: Delivery[] = [];
  const deleted = new Set<string>();
  let urlVersion = 0;
  let held = false;
  let rateLimited = { count: 0, retryAfter: '1' };
  let broke = false;
  let createdCount = 0;
  let syncGate: Promise<void> | undefined;
  let webhooks: WebhookSettings | undefined;
  let baseUrl = '';

  // ------------------------------------------------------------------ tasks

  function taskJson(task: Task): Record<string, unknown> {
    const body: Record<string, unknown> = {
      id: task.id,
      status: task.status === 'BANNED' || task.status === 'EXPIRED' ? 'FAILED' : task.status,
      progress: task.progress,
      created_at: task.createdAt,
      started_at: task.status === 'PENDING' ? 0 : task.createdAt,
      model_urls: {},
      thumbnail_url: '',
      task_error: { message: '' },
    };
    if (task.status === 'SUCCEEDED') {
      const expires = Date.now() + urlTtlMs;
      body['model_urls'] = { glb: signedUrl(task.id, 'model.glb', expires) };
      body['thumbnail_url'] = signedUrl(task.id, 'preview.png', expires);
      body['expires_at'] = expires;
    }
    if (task.status === 'FAILED') body['task_error'] = { message: 'The image has no clear subject' };
    return body;
  }

  function tripoJson(task: Task): Record<string, unknown> {
    let status = TRIPO_STATUS[task.status];
    if (task.unknownOnce && task.status === 'IN_PROGRESS') {
      task.unknownOnce = false;
      status = 'unknown';
    }
    const data: Record<string, unknown> = {
      task_id: task.id,
      type: 'image_to_model',
      status,
      progress: task.progress,
      create_time: Math.floor(task.createdAt / 1000),
      running_left_time: task.status === 'IN_PROGRESS' ? Math.max(0, progressSteps - task.ticks) : 0,
      output: {},
    };
    if (task.status === 'PENDING') {
      data['queuing_num'] = [...tasks.values()].filter((t) => t.api === 'tripo' && t.status === 'PENDING' && t.createdSeq < task.createdSeq).length;
    }
    if (task.status === 'SUCCEEDED') {
      const expires = Date.now() + urlTtlMs;
      data['output'] = { pbr_model: signedUrl(task.id, 'model.glb', expires), rendered_image: signedUrl(task.id, 'preview.png', expires) };
    }
    if (task.status === 'FAILED') data['error_msg'] = 'generation failed';
    return { code: 0, data };
  }

  function signature(path: string, version: number, expires: number): string {
    return createHmac('sha256', signingKey).update(`${path}|${version}|${expires}`).digest('hex');
  }
  function signedUrl(id: string, name: string, expires: number): string {
    const path = `/files/${id}/${name}`;
    return `${baseUrl}${path}?v=${urlVersion}&Expires=${expires}&Signature=${signature(path, urlVersion, expires)}`;
  }

  function changed(task: Task): void {
    for (const listener of task.changes) listener();
    if (task.api === 'meshy') webhook(task);
  }

  function webhook(task: Task): void {
    if (!webhooks) return;
    const body = JSON.stringify(taskJson(task));
    if (webhooks.order === 'in-order') {
      task.webhookSends.push(deliver(task, body));
      return;
    }
    task.pendingWebhooks.push(body);
    if (TERMINAL.has(task.status)) {
      const bodies = task.pendingWebhooks.reverse();
      task.pendingWebhooks = [];
      // Newest first, each twice: the receiver must dedupe and never go backwards.
      task.webhookSends.push(
        (async () => {
          for (const item of bodies) {
            await deliver(task, item);
            await deliver(task, item);
          }
        })(),
      );
    }
  }

  async function deliver(task: Task, body: string): Promise<void> {
    const settings = webhooks;
    if (!settings) return;
    const parsed = JSON.parse(body) as { status: string; progress: number };
    const signatureHex = createHmac('sha256', settings.secret).update(body).digest('hex');
    let httpStatus = 0;
    try {
      const response = await fetch(settings.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${signatureHex}`, 'x-webhook-id': randomUUID() },
        body,
      });
      httpStatus = response.status;
      await response.arrayBuffer();
    } catch {
      httpStatus = -1;
    }
    deliveries.push({ taskId: task.id, status: parsed.status, progress: parsed.progress, httpStatus });
  }

  function step(task: Task): void {
    if (TERMINAL.has(task.status)) return;
    if (task.status === 'PENDING') {
      task.status = 'IN_PROGRESS';
      task.progress = 0;
      changed(task);
      return;
    }
    task.ticks += 1;
    if (task.ticks < progressSteps) {
      task.progress = Math.round((task.ticks / progressSteps) * 100);
      changed(task);
      return;
    }
    task.progress = 100;
    task.status = { succeed: 'SUCCEEDED', fail: 'FAILED', ban: 'BANNED', expire: 'EXPIRED' }[task.outcome] as Task['status'];
    changed(task);
  }
  const ticker = setInterval(() => {
    if (held) return;
    for (const task of tasks.values()) step(task);
  }, tickMs);

  function newTask(api: Task['api'], input: string): Task {
    // The outcome follows words in the input (never inside a data URI's base64).
    const words = input.startsWith('data:') ? '' : input;
    const outcome = words.includes('fail') ? 'fail' : words.includes('ban') ? 'ban' : words.includes('expire') ? 'expire' : 'succeed';
    const task: Task = {
      id: api === 'meshy' ? randomUUID() : `tripo-${randomUUID()}`,
      api,
      status: 'PENDING',
      progress: 0,
      ticks: 0,
      outcome,
      createdAt: Date.now(),
      createdSeq: ++createdCount,
      input,
      unknownOnce: words.includes('unknown'),
      changes: new Set(),
      pendingWebhooks: [],
      webhookSends: [],
    };
    tasks.set(task.id, task);
    changed(task);
    return task;
  }

  // ------------------------------------------------------------------ HTTP

  function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }
  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  async function readForm(req: IncomingMessage): Promise<FormData | undefined> {
    const body = await readBody(req);
    try {
      return await new Request('http://local/', { method: 'POST', headers: req.headers as Record<string, string>, body: new Uint8Array(body) }).formData();
    } catch {
      return undefined;
    }
  }
  function unfinished(): number {
    return [...tasks.values()].filter((task) => !TERMINAL.has(task.status)).length;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    requests.push({ method, path: path + url.search, headers: { ...req.headers } });

    // Output files: signed, expiring, no API key (like presigned storage URLs).
    if (method === 'GET' && path.startsWith('/files/')) {
      const [, , id, name] = path.split('/');
      const version = Number(url.searchParams.get('v'));
      const expires = Number(url.searchParams.get('Expires'));
      const sig = url.searchParams.get('Signature') ?? '';
      if (!id || !name || sig !== signature(path, version, expires)) return json(res, 403, { message: 'SignatureDoesNotMatch' });
      if (version !== urlVersion || expires < Date.now()) return json(res, 403, { message: 'Request has expired' });
      if (deleted.has(id) || !tasks.has(id)) return json(res, 404, { message: 'NoSuchKey' });
      downloads.set(path, (downloads.get(path) ?? 0) + 1);
      const data = name.endsWith('.glb') ? glbOf(`task-${id}`) : pngOf(7);
      res.writeHead(200, { 'content-type': name.endsWith('.glb') ? 'model/gltf-binary' : 'image/png' });
      res.end(Buffer.from(data));
      return;
    }

    const auth = req.headers.authorization;
    if (auth !== `Bearer ${apiKey}`) {
      await readBody(req);
      return json(res, 401, { message: 'Invalid API key' });
    }
    if (rateLimited.count > 0) {
      rateLimited.count -= 1;
      await readBody(req);
      return json(res, 429, { message: 'RateLimitExceeded', code: 2000 }, { 'retry-after': rateLimited.retryAfter });
    }

    // ---------------------------------------------------------------- Meshy-like
    if (method === 'POST' && path === '/openapi/v1/image-to-3d') {
      const raw = await readBody(req);
      let body: { image_url?: unknown };
      try {
        body = JSON.parse(raw.toString('utf8')) as { image_url?: unknown };
      } catch {
        return json(res, 400, { message: 'Invalid JSON' });
      }
      if (typeof body.image_url !== 'string' || !/^(https?:|data:image\/)/.test(body.image_url)) {
        return json(res, 400, { message: 'image_url must be a URL or a data URI' });
      }
      const key = req.headers['idempotency-key'];
      if (typeof key === 'string' && idempotency.has(key)) return json(res, 202, { result: idempotency.get(key) });
      if (broke) return json(res, 402, { message: 'Payment Required: insufficient credits' });
      if (unfinished() >= maxConcurrent) return json(res, 429, { message: 'NoMoreConcurrentTasks' });
      const task = newTask('meshy', body.image_url);
      if (typeof key === 'string') idempotency.set(key, task.id);
      return json(res, 202, { result: task.id });
    }
    const meshy = /^\/openapi\/v1\/image-to-3d\/([^/]+)(\/stream)?$/.exec(path);
    if (method === 'GET' && meshy) {
      const task = tasks.get(decodeURIComponent(meshy[1] ?? ''));
      if (!task || task.api !== 'meshy') return json(res, 404, { message: 'Task not found' });
      if (!meshy[2]) return json(res, 200, taskJson(task));
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const push = () => {
        res.write(`event: message\ndata: ${JSON.stringify(taskJson(task))}\n\n`);
        if (TERMINAL.has(task.status)) {
          task.changes.delete(push);
          res.end();
        }
      };
      task.changes.add(push);
      req.on('close', () => task.changes.delete(push));
      push();
      return;
    }
    if (method === 'POST' && path.startsWith('/openapi/v1/image-to-3d/') && path.endsWith('/cancel')) {
      const id = decodeURIComponent(path.split('/')[4] ?? '');
      const task = tasks.get(id);
      await readBody(req);
      if (!task) return json(res, 404, { message: 'Task not found' });
      if (!TERMINAL.has(task.status)) {
        task.status = 'CANCELED';
        changed(task);
      }
      return json(res, 200, { result: id });
    }

    // ---------------------------------------------------------------- Tripo-like
    if (method === 'POST' && path === '/v2/openapi/upload') {
      const form = await readForm(req);
      const file = form?.get('file');
      if (!(file instanceof Blob)) return json(res, 400, { code: 2002, message: 'file is required' });
      const token = randomUUID();
      tokens.set(token, new Uint8Array(await file.arrayBuffer()));
      return json(res, 200, { code: 0, data: { image_token: token } });
    }
    if (method === 'POST' && path === '/v2/openapi/task') {
      const body = JSON.parse((await readBody(req)).toString('utf8')) as { type?: string; file?: { file_token?: string; type?: string } };
      if (body.type !== 'image_to_model') return json(res, 400, { code: 2002, message: 'unsupported type' });
      if (!body.file?.file_token || !tokens.has(body.file.file_token)) return json(res, 400, { code: 2003, message: 'invalid file token' });
      if (broke) return json(res, 402, { code: 2010, message: 'insufficient credit' });
      if (unfinished() >= maxConcurrent) return json(res, 429, { code: 2008, message: 'too many running tasks' });
      // Any parameter containing fail, ban, expire or unknown steers the outcome.
      return json(res, 200, { code: 0, data: { task_id: newTask('tripo', JSON.stringify(body)).id } });
    }
    const tripo = /^\/v2\/openapi\/task\/([^/]+)$/.exec(path);
    if (method === 'GET' && tripo) {
      const task = tasks.get(decodeURIComponent(tripo[1] ?? ''));
      if (!task || task.api !== 'tripo') return json(res, 404, { code: 2001, message: 'task not found' });
      return json(res, 200, tripoJson(task));
    }

    // ---------------------------------------------------------------- SF3D-like (synchronous)
    if (method === 'POST' && path === '/v2beta/3d/stable-fast-3d') {
      const form = await readForm(req);
      const image = form?.get('image');
      if (!(image instanceof Blob)) return json(res, 400, { name: 'bad_request', errors: ['image: required'] });
      const resolution = String(form?.get('texture_resolution') ?? '1024');
      if (!['512', '1024', '2048'].includes(resolution)) {
        return json(res, 400, { name: 'bad_request', errors: [`texture_resolution: must be 512, 1024 or 2048`] });
      }
      if (syncGate) await syncGate;
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': 'model/gltf-binary' });
      res.end(Buffer.from(glbOf(`sf3d-${resolution}-${(await image.arrayBuffer()).byteLength}`)));
      return;
    }

    await readBody(req);
    json(res, 404, { message: 'Not Found' });
  }

  const openSockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { message: String(error) });
      else res.end();
    });
  });
  server.on('connection', (socket: Socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    apiKey,
    requests,
    downloads,
    deliveries,
    holdTasks() {
      held = true;
    },
    releaseTasks() {
      held = false;
    },
    advance(taskId) {
      const task = tasks.get(taskId);
      if (task) step(task);
    },
    rateLimitNext(count, retryAfter = '1') {
      rateLimited = { count, retryAfter };
    },
    outOfCredits(out) {
      broke = out;
    },
    expireUrls() {
      urlVersion += 1;
    },
    deleteResults(taskId) {
      deleted.add(taskId);
    },
    holdSync() {
      let release!: () => void;
      syncGate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        syncGate = undefined;
        release();
      };
    },
    setWebhooks(settings) {
      webhooks = settings;
    },
    async webhooksSettled(taskId) {
      const task = tasks.get(taskId);
      while (task && (task.webhookSends.length > 0 || (!TERMINAL.has(task.status) && webhooks?.order === 'reverse-at-end'))) {
        const sends = task.webhookSends.splice(0);
        await Promise.all(sends);
        if (sends.length === 0) await new Promise((resolve) => setTimeout(resolve, tickMs));
      }
    },
    statusOf(taskId) {
      return tasks.get(taskId)?.status;
    },
    async close() {
      clearInterval(ticker);
      for (const task of tasks.values()) for (const listener of task.changes) task.changes.delete(listener);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of openSockets) socket.destroy();
      });
    },
  };
}
