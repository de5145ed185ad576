/**
 * `voicemode-events/internal`: what the companion CLI package (`voicemode-events-cli`) needs
 * from the library beyond the public API: the time format, the event-data rules, redaction,
 * file safety and configuration. Not a public API: no semver promise, and apps should not
 * import it. Each name here is one the CLI imports (test/package-exports.test.ts lists them, so
 * adding one is a decision).
 */
export { formatTimestampUs, parseTimestampUs, usToHrTime } from './time/format.js';
export { ownValue, putData } from './events/own-keys.js';
export { OPERATION_KINDS, kindOfErrorEvent, kindOfEventType } from './events/operation-kinds.js';
export {
  ATTR_MODEL,
  ATTR_PROVIDER,
  ATTR_SESSION_ID,
  ATTR_TRANSPORT,
  ATTR_TURN_NUMBER,
  ATTR_VOICE,
  SPAN_EVENT,
  SPAN_SESSION,
  SPAN_TURN,
} from './events/span-attributes.js';
export { dataToAttributes } from './events/attributes-codec.js';
export { prepareData, type RedactMode } from './events/sanitize.js';
export { jsonMayHoldSecret } from './events/secret-rules.js';
export { liveEvents } from './events/live-bus.js';
export { defaultReadDirs, resolveConfig, resolveRedactMode, warnStderr } from './config.js';
export { processEnv, readOtelEnv, type Env } from './environment.js';
export { NotRegularFileError, READ_FLAGS, STREAM_READ_FLAGS, describeOpenError, fileKind, openRegular } from './fs/regular-file.js';
export { probeDir } from './sink/append-only-file.js';
export { isLogFileName, logFileSortKey } from './sink/log-file-name.js';
