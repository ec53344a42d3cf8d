/**
 * The CPU half of an NDJSON import, run in a worker thread (see ingest-worker.ts): lines are read
 * from the file's bytes and each resource is parsed and validated, so the calling thread only
 * assigns ids, labels, seals and writes. Nothing here holds a key or writes anything.
 */
import { defaultValidator, readNdjson, type FhirResource } from '../fhir/index.js';

/** A line of the file: a valid resource, or what was wrong with it (never its content). */
export type CheckedLine = { line: number; resource: FhirResource } | { line: number; problem: string };

/** A queue of the file's byte chunks, read as an async iterable while they keep coming; null ends it. */
export class ChunkQueue implements AsyncIterable<Uint8Array | string> {
  private readonly chunks: (Uint8Array | string | null)[] = [];
  private wake: (() => void) | undefined;

  push(chunk: Uint8Array | string | null): void {
    this.chunks.push(chunk);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array | string> {
    for (;;) {
      while (this.chunks.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
      const chunk = this.chunks.shift()!;
      if (chunk === null) return;
      yield chunk;
    }
  }
}

/**
 * Reads and validates the lines of `source` with the process's default validator. `emit` gets,
 * once per chunk of `source`, the lines that chunk completed (in file order), then the last ones.
 */
export async function checkNdjson(
  source: AsyncIterable<Uint8Array | string>,
  emit: (lines: CheckedLine[], done: boolean) => void,
): Promise<void> {
  const validator = defaultValidator();
  let batch: CheckedLine[] = [];
  const flushing = {
    async *[Symbol.asyncIterator]() {
      for await (const chunk of source) {
        yield chunk;
        // readNdjson asks for the next chunk only once every line of this one has come out.
        emit(batch, false);
        batch = [];
      }
    },
  };
  for await (const item of readNdjson(flushing)) {
    if ('error' in item) batch.push({ line: item.line, problem: item.error.message });
    else {
      const checked = validator.validate(item.resource);
      batch.push(
        checked.valid
          ? { line: item.line, resource: checked.resource }
          : { line: item.line, problem: validator.error(checked.issues).message },
      );
    }
  }
  emit(batch, true);
}
