import type { Command } from 'commander';

/** `--prices <file.json>` of summary, report and demo (docs/cli.md, "Usage and cost"). */
export function addPricesOption(cmd: Command): Command {
  return cmd.option('--prices <file.json>', 'price table for cost per session, stage and model (default: $VOICEMODE_PRICES; see docs/prices.example.json)');
}
