import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CustodiaError } from '../core/index.js';

/**
 * Writes a file so that readers see either the old or the new content, never half of either:
 * a private temporary file beside it, fsynced, then renamed over it, then the directory fsynced.
 */
export function atomicWriteFile(path: string, data: string | Uint8Array, mode = 0o600): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
  try {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Some filesystems cannot fsync a directory; the rename itself is still atomic.
  }
}

const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 10_000;

/**
 * Runs `fn` holding an exclusive lock file, so that the server and the CLI (say, `keys rotate`)
 * never interleave read-modify-write cycles on the same keyring. A lock older than 30 s is taken
 * to belong to a crashed process and is broken.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T> | T): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lockPath).mtimeMs > STALE_LOCK_MS) unlinkSync(lockPath);
      } catch {
        // The holder released it between our two calls: try again.
      }
      if (Date.now() - started > LOCK_WAIT_MS)
        throw new CustodiaError('unavailable', `the keyring is locked by another process (${lockPath})`, {
          hint: 'wait for the other custodia command to finish; remove the lock file only if no custodia process runs',
          zh: '密钥环正被另一个进程占用，请稍后重试',
          retryAfter: 5,
        });
      await sleep(15 + Math.random() * 20);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

/** Identity of a file's current content, to notice when another process replaced it. */
export function fileStamp(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}
