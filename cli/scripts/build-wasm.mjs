// Build step of the CLI: the hand-written WebAssembly text of the parse worker's stage 1
// (src/reader/special-bytes.wat) to dist/reader/special-bytes.wasm, by the `wabt` npm package
// (WABT compiled to JS: no native toolchain needed). Run after tsc by `npm run build`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
