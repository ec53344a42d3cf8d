/**
 * NDJSON reading and validation in a worker thread, so that an import uses both cores: the
 * worker parses and validates (the costliest step per resource), the calling thread gives ids,
 * labels, seals and writes. The worker sees the file's bytes but holds no key, writes nothing and
 * logs nothing; problems come back as messages that never quote the content.
 */
import { Worker } from 'node:worker_threads';
import type { CheckedLine } from './ingest-lines.js';

// Plain JavaScript: a worker does not inherit the TypeScript loader the CLI registers, so it
// registers tsx itself before loading ingest-lines.ts. Each file read is a run with its own queue
// (imports may run side by side); replies carry the run, and `null` ends a run's file.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.tsx).then(({ register }) => {
  register();
  return import(workerData.lines);
}).then(({ ChunkQueue, checkNdjson }) => {
  const runs = new Map();
  parentPort.on('message', ({ run, chunk }) => {
    let queue = runs.get(run);
    if (!queue) {
      runs.set(run, (queue = new ChunkQueue()));
      const emit = (lines, done) => parentPort.postMessage({ run, lines, done });
      checkNdjson(queue, emit)
        .catch((e) => parentPort.postMessage({ run, failed: String(e && e.message) }))
        .finally(() => runs.delete(run));
    }
    queue.push(chunk);
  });
  parentPort.postMessage({ ready: true });
});
`;

/** Source chunks sent ahead of the lines read back: bounds memory whatever the speed of each side. */
const AHEAD = 32;

type Reply = { run: number } & ({ lines: CheckedLine[]; done: boolean } | { failed: string });

let runs = 0;

let shared: Promise<Worker> | undefined;

/** The process's NDJSON worker, started on first use; it does not keep the process alive. */
function ndjsonWorker(): Promise<Worker> {
  shared ??= new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: {
        tsx: import.meta.resolve('tsx/esm/api'),
        lines: new URL('./ingest-lines.ts', import.meta.url).href,
      },
    });
    worker.once('message', () => {
      // Idle between imports: a CLI that is done should exit without closing it.
      worker.unref();
      resolve(worker);
    });
    worker.once('error', reject);
    worker.once('exit', () => (shared = undefined));
  });
  return shared;
}

/**
 * The lines of an NDJSON source, read and validated in the worker, in file order, a batch at a
 * time. At most AHEAD chunks of the source are in flight, so a slow writer holds the reading back.
 */
export async function* checkedNdjson(
  source: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<CheckedLine[]> {
  const worker = await ndjsonWorker();
  const run = ++runs;
  const replies: Reply[] = [];
  let wake: (() => void) | undefined;
  const onMessage = (reply: Reply) => {
    if (reply.run !== run) return;
    replies.push(reply);
    wake?.();
  };
  const onError = (e: Error) => onMessage({ run, failed: e.message });
  const onExit = () => onMessage({ run, failed: 'it stopped' });
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);
  worker.ref();
  const next = async (): Promise<{ lines: CheckedLine[]; done: boolean }> => {
    while (replies.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const reply = replies.shift()!;
    if ('failed' in reply) throw new Error(`the NDJSON worker failed: ${reply.failed}`);
    return reply;
  };
  let ended = false;
  try {
    let inFlight = 0;
    for await (const chunk of source) {
      worker.postMessage({ run, chunk });
      if (++inFlight < AHEAD) continue;
      inFlight--;
      yield (await next()).lines;
    }
    worker.postMessage({ run, chunk: null });
    ended = true;
    for (;;) {
      const { lines, done } = await next();
      yield lines;
      if (done) return;
    }
  } finally {
    // Abandoned (the writer failed): end the run so the worker drops its queue.
    if (!ended) worker.postMessage({ run, chunk: null });
    worker.off('message', onMessage);
    worker.off('error', onError);
    worker.off('exit', onExit);
    worker.unref();
  }
}
