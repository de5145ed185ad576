/**
 * A one-line progress report on stderr for a long command (the demo at speed 1 runs ~20 s
 * without output otherwise): redrawn in place every `everyMs` while stderr is a terminal,
 * erased at the end. Nothing is written to a pipe or a file, so scripts and logs stay clean.
 */
export function startProgress(describe: (elapsedS: number) => string, stream: NodeJS.WriteStream = process.stderr, everyMs = 1000): () => void {
  if (!stream.isTTY) return () => undefined;
  const t0 = Date.now();
  let shown = false;
  const draw = (): void => {
    stream.write(`\r\x1b[2K${describe(Math.round((Date.now() - t0) / 1000))}`);
    shown = true;
  };
  const timer = setInterval(draw, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (shown) stream.write('\r\x1b[2K');
  };
}
