#!/usr/bin/env node
// The `voicemode-events` command. A file kept in the repository (not built) so that npm links
// the command at install time even in a fresh clone, before `npm run build` made cli/dist.
import module from 'node:module';

// Node >= 22.1: V8's code cache of the modules kept on disk (os.tmpdir()/node-compile-cache, or
// NODE_COMPILE_CACHE), so a later start compiles less (measured, docs/performance.md, issue 14
// round 4: ~5 CPU-ms of ~50 per start). Node 20 has no such function; a cache that cannot be
// written only goes unused.
try {
  module.enableCompileCache?.();
} catch {
  // never in the way of the command
}
await import('../dist/main.js');
