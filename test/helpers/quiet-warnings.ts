/**
 * vitest setupFiles: a passing run is quiet. Some tests provoke warnings the library prints on
 * stderr by design (a span over its event limit, an invalid session id): those known messages
 * are kept in `capturedWarnings` (tests may assert on them) instead of being printed. Any
 * other output on stderr, and any other warning, is printed as before.
 */
const EXPECTED = [
  /^voicemode-events: warning: span \S+ kept only the last \d+ of its events/,
  /^voicemode-events: warning: session id .* is not a non-empty string of at most 256 characters/,
];

export const capturedWarnings: string[] = [];

/** True for a warning tests provoke by design (see above). */
export function isExpectedWarning(line: string): boolean {
  return EXPECTED.some((re) => re.test(line));
}

/** For a child process's stderr: expected warnings are captured, anything else is printed. */
export function filterChildStderr(stream: NodeJS.ReadableStream): void {
  let rest = '';
  stream.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (isExpectedWarning(l)) capturedWarnings.push(l);
    else process.stderr.write(l + '\n');
  });
  stream.on('end', () => {
    if (rest !== '') process.stderr.write(rest);
  });
}

const write = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
  const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
  if (text !== undefined && isExpectedWarning(text)) {
    capturedWarnings.push(text.trimEnd());
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }
  return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stderr.write;
