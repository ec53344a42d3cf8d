/**
 * The log's side of witnessing: send the latest checkpoint with a consistency proof to each
 * witness (`POST <url>/add-checkpoint`), keep the cosignatures, and compute the consortium's
 * agreed state (the latest checkpoint with a quorum of cosignatures).
 */
import { CustodiaError } from '../core/index.js';
import type { Checkpoint } from './checkpoint.js';
import { verifyCosignatures, type VerifiedCosignature } from './cosignature.js';
import type { Ledger } from './ledger.js';
import { parseVerifierKey, type VerifierKey } from './note.js';
import { formatAddCheckpoint } from './witness.js';

export interface WitnessEndpoint {
  /** The witness's cosignature verifier key (`name+hash+base64`, type 0x04). */
  key: string | VerifierKey;
  /** The submission prefix; the request goes to `<url>/add-checkpoint`. */
  url: string;
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
