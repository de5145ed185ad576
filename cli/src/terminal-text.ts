/**
 * Text from log files printed to a terminal. Log content is input: an ESC in a transcript
 * (`\x1b]0;...\x07`, `\x1b[2J`) would retitle, clear or recolour the user's terminal, and a
 * `\r` can hide what came before it. Every C0 control character (U+0000-U+001F, newline
 * included: a line's layout is ours), DEL (U+007F) and every C1 control (U+0080-U+009F, which
 * some terminals read as CSI/OSC) is shown as a visible escape: `\n`, `\r`, `\t`, `\e` or
 * `\xHH` / `\u00HH`. Layout newlines are added by the caller around escaped text.
 *
 * JSON.stringify escapes C0 but not DEL or C1, so JSON printed for people goes through this
 * too (the escapes it adds stay valid JSON: `\u007f`).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

function escapeOne(c: string): string {
  return NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** Text for a terminal: control characters made visible (see above). Returns the same string when there are none. */
export function escapeControl(text: string): string {
  return HAS_CONTROL.test(text) ? text.replace(CONTROL, escapeOne) : text;
}

/**
 * A JSON text for a terminal or a pipe: JSON.stringify already escapes C0; DEL and C1 are
 * escaped as `\u00HH`, so the line stays valid JSON with the same value.
 */
// eslint-disable-next-line no-control-regex
const JSON_UNSAFE = /[\u007f-\u009f]/g;
export function escapeJsonText(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}
