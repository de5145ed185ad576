// Build step of the CLI: the parse worker's two WebAssembly modules, run after tsc by `npm run build`.
// - Stage 1, hand-written WebAssembly text (src/reader/special-bytes.wat), to
//   dist/reader/special-bytes.wasm by the `wabt` npm package (WABT compiled to JS: no native
//   toolchain needed).
// - Stage 2, AssemblyScript (assembly/scan-line.ts, outside tsc's and vitest's view), to
//   dist/reader/scan-line.wasm by the `assemblyscript` npm package's compiler (Binaryen compiled
//   to JS, offline): no runtime (stub), no assertions, no abort import, stage 1's memory imported, SIMD
//   (the rows' newline search; stage 1 needs SIMD already).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import initWabt from 'wabt';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'src/reader/special-bytes.wat');
const to = join(root, 'dist/reader/special-bytes.wasm');
const wabt = await initWabt();
const mod = wabt.parseWat(from, readFileSync(from, 'utf8'), { simd: true });
try {
  mod.validate();
  const { buffer } = mod.toBinary({});
  mkdirSync(dirname(to), { recursive: true });
  writeFileSync(to, buffer);
} finally {
  mod.destroy();
}

const { error, stderr } = await asc.main(
  [join(root, 'assembly/scan-line.ts'), '-O3', '--runtime', 'stub', '--noAssert', '--importMemory', '--use', 'abort=', '--enable', 'simd', '-o', join(root, 'dist/reader/scan-line.wasm')],
  {},
);
if (error) {
  process.stderr.write(stderr.toString());
  throw error;
}
