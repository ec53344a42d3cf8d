/**
 * Alarms: evidence that a log misbehaved (a split view, an inconsistent or forged checkpoint, a
 * tampered store). They go to whoever listens (the monitor module, a pager); the ledger and the
 * witness also refuse whatever raised them.
 */
export type AlarmKind = 'split-view' | 'inconsistent-checkpoint' | 'bad-signature' | 'tampered-log';

export interface LedgerAlarm {
  kind: AlarmKind;
  /** The log concerned. */
  origin: string;
  message: string;
  zh: string;
  /** Epoch milliseconds. */
  at: number;
  /** What proves it: the checkpoints concerned (signed notes are self-certifying evidence). */
  evidence: Record<string, string | number>;
}

export type AlarmListener = (alarm: LedgerAlarm) => void;

export class Alarms {
  private readonly listeners = new Set<AlarmListener>();
  private readonly kept: LedgerAlarm[] = [];

  /** @param keep how many recent alarms to keep for the API (an operator's first look). */
  constructor(private readonly keep = 100) {}

  /** The most recent alarms, newest last. */
  recent(): readonly LedgerAlarm[] {
    return this.kept;
  }

  /** Subscribes; returns the function that unsubscribes. */
  on(listener: AlarmListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  raise(alarm: LedgerAlarm): void {
    this.kept.push(alarm);
    if (this.kept.length > this.keep) this.kept.splice(0, this.kept.length - this.keep);
    for (const listener of this.listeners) {
      try {
        listener(alarm);
      } catch (error) {
        // A failing listener must not stop the others, nor the refusal that raised the alarm.
        console.error('ledger alarm listener failed', error);
      }
    }
  }
}
