import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/harness.js';
import { json } from '../commands/run.js';

/**
 * A tool call failed when its TOOL_REQUEST_END says `success: false` (docs/cli.md). The CLI's
 * parse workers send such values as numbers; a boolean must not be confused with 0 or 1.
 */
describe('tool failures read through the parse workers', () => {
  it('only success: false is a failure; success 0, 1 or 2 are not', async () => {
    const dir = tempDir('vme-success-');
    const file = join(dir, 'voicemode_events_2026-11-30.jsonl');
    const line = (s: number, success: unknown) =>
      JSON.stringify({ timestamp: `2026-11-30T10:00:0${s}.000000+00:00`, event_type: 'TOOL_REQUEST_END', session_id: null, data: { tool_name: 'converse', success } });
    writeFileSync(file, [line(1, 0), line(2, 2), line(3, false), line(4, 1), line(5, true)].join('\n') + '\n');
    const s = await json<{ errors_by_stage?: Record<string, number> }>(['summary', '--json', file]);
    expect(s.errors_by_stage).toEqual({ tool: 1 });
  });
});
