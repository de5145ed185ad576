#!/usr/bin/env node
// The `voicemode-events` command. A file kept in the repository (not built) so that npm links
// the command at install time even in a fresh clone, before `npm run build` made cli/dist.
// early-start.js first, on its own: ES modules are all loaded before any of them runs, so a
// static import would run it only after the whole CLI had loaded (it may start a parse worker).
await import('../dist/early-start.js');
await import('../dist/main.js');
