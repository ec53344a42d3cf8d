/**
 * TEST DOUBLE OF AN EXTERNAL SERVICE, not of our code: a small HTTP server that speaks the part
 * of HashiCorp Vault's Transit secrets engine API that `VaultTransitKeyProvider` uses, because
 * Vault itself cannot be installed here. It behaves as Vault documents: versioned AES-256-GCM
 * keys, derived keys (HKDF per `context`), `vault:vN:` ciphertexts (base64 of nonce ‖ ciphertext
 * ‖ tag), batch_input/batch_results, rotate, rewrap, min_decryption_version, X-Vault-Token and
 * X-Vault-Namespace, `{"errors": [...]}` bodies. Used only by tests.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface TransitKey {
  derived: boolean;
  versions: Map<number, Buffer>;
  latest: number;
  minDecryptionVersion: number;
}

export interface VaultDouble {
  url: string;
  keys: Map<string, TransitKey>;
  /** Requests seen, as `METHOD path` (for asserting what was called). */
  requests: string[];
  /** The next request fails with this status (and Retry-After), as a sealed or overloaded Vault does. */
  failNext: { status: number; errors: string[]; retryAfter?: string } | undefined;
  close(): Promise<void>;
}

interface Item {
  plaintext?: string;
  ciphertext?: string;
  context?: string;
}

class ItemError extends Error {}

export async function startVaultDouble(options: {
  token: string;
  namespace?: string;
  mount?: string;
}): Promise<VaultDouble> {
  const mount = options.mount ?? 'transit';
  const keys = new Map<string, TransitKey>();
  const double: VaultDouble = {
    url: '',
    keys,
    requests: [],
    failNext: undefined,
    close: async () => undefined,
  };

  const keyFor = (name: string, version: number, context: string | undefined): Buffer => {
    const key = keys.get(name)!;
    const base = key.versions.get(version)!;
    if (!key.derived) return base;
    if (!context)
      throw new ItemError("missing 'context' for key derivation; the key was created using a derived key");
    return Buffer.from(hkdfSync('sha256', base, Buffer.alloc(0), Buffer.from(context, 'base64'), 32));
  };
  const encrypt = (name: string, item: Item) => {
    const key = keys.get(name)!;
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keyFor(name, key.latest, item.context), nonce);
    const body = Buffer.concat([cipher.update(Buffer.from(item.plaintext ?? '', 'base64')), cipher.final()]);
    const blob = Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
    return { ciphertext: `vault:v${key.latest}:${blob}`, key_version: key.latest };
  };
  const decrypt = (name: string, item: Item): string => {
    const key = keys.get(name);
    if (!key) throw new ItemError('encryption key not found');
    const match = /^vault:v(\d+):(.*)$/.exec(item.ciphertext ?? '');
    if (!match) throw new ItemError('invalid ciphertext: no prefix');
    const version = Number(match[1]);
    if (version < key.minDecryptionVersion)
      throw new ItemError('ciphertext or signature version is disallowed by policy (too old)');
    if (!key.versions.has(version)) throw new ItemError('invalid ciphertext: key version out of range');
    const blob = Buffer.from(match[2]!, 'base64');
    if (blob.length < 28) throw new ItemError('invalid ciphertext: too short');
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        keyFor(name, version, item.context),
        blob.subarray(0, 12),
      );
      decipher.setAuthTag(blob.subarray(blob.length - 16));
      return Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]).toString(
        'base64',
      );
    } catch (e) {
      if (e instanceof ItemError) throw e;
      throw new ItemError('cipher: message authentication failed');
    }
  };
  const upsert = (name: string, derived: boolean) => {
    if (keys.has(name)) return false;
    keys.set(name, {
      derived,
      versions: new Map([[1, randomBytes(32)]]),
      latest: 1,
      minDecryptionVersion: 1,
    });
    return true;
  };
  const keyInfo = (name: string) => {
    const k = keys.get(name)!;
    return {
      data: {
        name,
        type: 'aes256-gcm96',
        derived: k.derived,
        latest_version: k.latest,
        min_decryption_version: k.minDecryptionVersion,
        keys: Object.fromEntries([...k.versions.keys()].map((v) => [String(v), 1_700_000_000])),
      },
    };
  };

  /** Vault's batch semantics: per-item results; 400 when every item failed. */
  const runBatch = (
    res: ServerResponse,
    body: { batch_input?: Item[] } & Item,
    one: (item: Item) => object,
  ) => {
    const items = body.batch_input ?? [body];
    const results = items.map((item) => {
      try {
        return one(item);
      } catch (e) {
        if (e instanceof ItemError) return { error: e.message };
        throw e;
      }
    });
    const failures = results.filter((r) => 'error' in r).length;
    if (!body.batch_input) {
      const [only] = results as { error?: string }[];
      return only!.error ? send(res, 400, { errors: [only!.error] }) : send(res, 200, { data: only });
    }
    send(res, failures === results.length ? 400 : 200, { data: { batch_results: results } });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://vault');
    double.requests.push(`${req.method} ${url.pathname}`);
    if (double.failNext) {
      const f = double.failNext;
      double.failNext = undefined;
      if (f.retryAfter) res.setHeader('Retry-After', f.retryAfter);
      return send(res, f.status, { errors: f.errors });
    }
    if (req.headers['x-vault-token'] !== options.token)
      return send(res, 403, { errors: ['permission denied'] });
    if (options.namespace !== undefined && req.headers['x-vault-namespace'] !== options.namespace)
      return send(res, 403, { errors: ['permission denied'] });
    const prefix = `/v1/${mount}/`;
    if (!url.pathname.startsWith(prefix)) return send(res, 404, { errors: ['no handler for route'] });
    const parts = url.pathname.slice(prefix.length).split('/');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = (chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {}) as Record<
      string,
      unknown
    > & {
      batch_input?: Item[];
    } & Item;
    const [op, name, sub] = parts;
    if (!name) return send(res, 404, { errors: ['no handler for route'] });

    if (op === 'keys' && req.method === 'POST' && sub === undefined) {
      const created = upsert(name, body.derived === true);
      return created ? send(res, 204) : send(res, 200, { warnings: [`key ${name} already existed`] });
    }
    if (op === 'keys' && req.method === 'GET' && sub === undefined)
      return keys.has(name) ? send(res, 200, keyInfo(name)) : send(res, 404, { errors: [] });
    if (op === 'keys' && sub === 'rotate') {
      const k = keys.get(name);
      if (!k) return send(res, 400, { errors: ['key not found'] });
      k.latest += 1;
      k.versions.set(k.latest, randomBytes(32));
      return send(res, 200, keyInfo(name));
    }
    if (op === 'keys' && sub === 'config') {
      const k = keys.get(name);
      if (!k) return send(res, 400, { errors: ['key not found'] });
      const min = Number(body.min_decryption_version);
      if (!(min >= 1 && min <= k.latest))
        return send(res, 400, { errors: ['min decryption version out of range'] });
      k.minDecryptionVersion = min;
      for (const v of [...k.versions.keys()]) if (v < min) k.versions.delete(v);
      return send(res, 204);
    }
    if (op === 'encrypt') {
      // Vault creates a missing key on encrypt ("upsert"), derived when a context is given.
      const first = body.batch_input?.[0] ?? body;
      upsert(name, Boolean(first.context));
      return runBatch(res, body, (item) => encrypt(name, item));
    }
    if (op === 'decrypt') return runBatch(res, body, (item) => ({ plaintext: decrypt(name, item) }));
    if (op === 'rewrap')
      return runBatch(res, body, (item) =>
        encrypt(name, { plaintext: decrypt(name, item), context: item.context }),
      );
    return send(res, 404, { errors: ['no handler for route'] });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, { errors: [String(e)] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  double.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  double.close = () => new Promise((resolve) => server.close(() => resolve()));
  return double;
}

function send(res: ServerResponse, status: number, body?: object): void {
  res.statusCode = status;
  if (body === undefined) return void res.end();
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}
