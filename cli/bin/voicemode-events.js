#!/usr/bin/env node
// The `voicemode-events` command. A file kept in the repository (not built) so that npm links
// the command at install time even in a fresh clone, before `npm run build` made cli/dist.
import '../dist/main.js';
