/**
 * The log's side of witnessing: send the latest checkpoint with a consistency proof to each
 * witness (`POST <url>/add-checkpoint`), keep the cosignatures, and compute the consortium's
 * agreed state (the latest checkpoint with a quorum of cosignatures).
 */
import { CustodiaError } from '../core/index.js';
import type { Checkpoint } from './checkpoint.js';
import { verifyCosignatures, type VerifiedCosignature } from './cosignature.js';
import type { Ledger } from './ledger.js';
import { parseVerifierKey, type Parsed, type VerifierKey } from './note.js';
import { formatAddCheckpoint } from './witness.js';

export interface WitnessEndpoint {
  /** The witness's cosignature verifier key (`name+hash+base64`, type 0x04). */
  key: string | VerifierKey;
  /** The submission prefix; the request goes to `<url>/add-checkpoint`. */
  url: string;
}

/** A configured peer witness, its key already parsed. */
export interface WitnessPeer extends WitnessEndpoint {
  key: VerifierKey;
}

export type CosignOutcome =
  | { witness: string; ok: true; cosignature: VerifiedCosignature }
  | { witness: string; ok: false; status?: number; problem: string };

/** Posts an add-checkpoint request; returns the status, content type and body. */
export async function postAddCheckpoint(
  url: string,
  body: string,
  timeoutMs = 10_000,
): Promise<{ status: number; contentType: string; body: string }> {
  const response = await fetch(`${url.replace(/\/+$/, '')}/add-checkpoint`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}

const keyOf = (k: string | VerifierKey): VerifierKey => {
  if (typeof k !== 'string') return k;
  const parsed = parseVerifierKey(k);
  if (!parsed.ok)
    throw new CustodiaError('invalid-config', `bad witness key: ${parsed.problem}`, {
      zh: '见证者公钥格式错误',
    });
  return parsed.value;
};

/**
 * Asks each witness to cosign `checkpoint` (default: the latest, signed now if needed). A
 * witness that answers 409 with its size gets one retry with a proof from that size.
 */
export async function requestCosignatures(
  ledger: Ledger,
  witnesses: readonly WitnessEndpoint[],
  checkpoint?: Checkpoint,
): Promise<CosignOutcome[]> {
  const cp = checkpoint ?? (await ledger.checkpoint());
  return Promise.all(
    witnesses.map(async (endpoint): Promise<CosignOutcome> => {
      const key = keyOf(endpoint.key);
      try {
        let oldSize = await ledger.lastCosignedSize(key.name);
        for (let attempt = 0; attempt < 2; attempt++) {
          if (oldSize > cp.size)
            return {
              witness: key.name,
              ok: false,
              status: 409,
              problem: `the witness has seen size ${oldSize}, beyond this checkpoint`,
            };
          const proof = await ledger.proveConsistency(oldSize, cp.size);
          const response = await postAddCheckpoint(
            endpoint.url,
            formatAddCheckpoint(oldSize, proof, cp.note),
          );
          if (
            response.status === 409 &&
            response.contentType.startsWith('text/x.tlog.size') &&
            attempt === 0
          ) {
            const size = Number(response.body.trim());
            if (!Number.isSafeInteger(size) || size === oldSize)
              return {
                witness: key.name,
                ok: false,
                status: 409,
                problem: 'the witness holds a conflicting checkpoint of the same size',
              };
            oldSize = size;
            continue;
          }
          if (response.status !== 200)
            return {
              witness: key.name,
              ok: false,
              status: response.status,
              problem: response.body.trim().slice(0, 200),
            };
          const verified = verifyCosignatures(cp.note + response.body, [key]);
          if (!verified.ok || verified.value.length === 0)
            return {
              witness: key.name,
              ok: false,
              status: 200,
              problem: verified.ok ? 'no cosignature by this witness in the response' : verified.problem,
            };
          await ledger.recordCosignature(cp, verified.value[0]!);
          return { witness: key.name, ok: true, cosignature: verified.value[0]! };
        }
        return { witness: key.name, ok: false, problem: 'the witness kept answering 409' };
      } catch (error) {
        return { witness: key.name, ok: false, problem: (error as Error).message };
      }
    }),
  );
}

/**
 * Parses witness peers as configured: entries `<verifier key> <url>` separated by commas or new
 * lines, e.g. `witness.b.example/custodia+1a2b3c4d+AAAA… https://b.example/ledger/witness`.
 * Returns the problem for the configuration message instead of throwing.
 */
export function parseWitnessPeers(text: string): Parsed<WitnessPeer[]> {
  const peers: WitnessPeer[] = [];
  for (const item of text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [key, url, ...rest] = item.split(/\s+/);
    if (!key || !url || rest.length > 0)
      return { ok: false, problem: `"${item.slice(0, 40)}" is not "<verifier key> <url>"` };
    const parsed = parseVerifierKey(key);
    if (!parsed.ok) return { ok: false, problem: `bad witness key: ${parsed.problem}` };
    if (!/^https?:\/\/\S+$/.test(url))
      return { ok: false, problem: `"${url.slice(0, 60)}" is not an http(s) URL` };
    if (peers.some((p) => p.key.name === parsed.value.name))
      return { ok: false, problem: `witness ${parsed.value.name} is listed twice` };
    peers.push({ key: parsed.value, url: url.replace(/\/+$/, '') });
  }
  return { ok: true, value: peers };
}

/**
 * Gathers cosignatures in the background: after each new checkpoint, asks every peer witness,
 * at most once per interval and never two rounds at once. A round that fails is retried at the
 * next tick; outcomes go to `onRound` (the app logs them).
 */
export class CosigningSchedule {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<CosignOutcome[]> | undefined;
  private lastAsked = -1;

  constructor(
    private readonly ledger: Ledger,
    private readonly witnesses: readonly WitnessEndpoint[],
    private readonly onRound: (outcomes: CosignOutcome[], size: number) => void = () => undefined,
  ) {}

  start(intervalMs: number): void {
    if (this.timer || this.witnesses.length === 0) return;
    this.timer = setInterval(() => {
      const latest = this.ledger.latestCheckpoint();
      if (latest && latest.size !== this.lastAsked) void this.round(latest).catch(() => undefined);
    }, intervalMs);
    this.timer.unref();
  }

  /** One round now, for the latest checkpoint (signed now if the log has grown since). */
  async round(checkpoint?: Checkpoint): Promise<CosignOutcome[]> {
    if (this.running) await this.running.catch(() => undefined);
    const cp = checkpoint ?? (await this.ledger.checkpoint());
    this.running = requestCosignatures(this.ledger, this.witnesses, cp);
    try {
      const outcomes = await this.running;
      // A round where a witness was unreachable is asked again at the next tick.
      if (outcomes.every((o) => o.ok)) this.lastAsked = cp.size;
      this.onRound(outcomes, cp.size);
      return outcomes;
    } finally {
      this.running = undefined;
    }
  }

  /** Stops the timer and waits for a round in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
