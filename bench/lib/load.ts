import { fork } from 'node:child_process';

export interface LoadOptions {
  /** `http://host:port` of the server under test. */
  url: string;
  /** Request paths, sent in turn. */
  paths: readonly string[];
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
}

/** One autocannon run in a process of its own: requests per second (average) and p99 latency in ms. */
export function loadTest(options: LoadOptions): Promise<{ rps: number; p99: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./autocannon-child.mjs', import.meta.url), { execArgv: [] });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load generator exited with ${code}`));
    });
    child.once('message', (m) => {
      const r = m as { rps: number; p99: number; non2xx: number; errors: number };
      if (r.non2xx > 0 || r.errors > 0) reject(new Error(`${r.non2xx} non-2xx answers, ${r.errors} errors`));
      else resolve({ rps: r.rps, p99: r.p99 });
    });
    child.send({
      url: options.url,
      connections: options.connections,
      duration: options.seconds,
      headers: options.headers ?? {},
      paths: options.paths,
    });
  });
}
