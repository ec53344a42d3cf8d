import { pino, type Logger } from 'pino';
import { LOG_REDACT_PATHS } from '../api/index.js';
import type { LogLevel } from './config.js';

/**
 * JSON logs on stdout. Redaction is the safety net; the first line of defence is that nothing
 * logs bodies, headers or raw URLs (see api/plugins/logging.ts).
 */
export function createLogger(level: LogLevel, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      level,
      base: { service: 'custodia' },
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
