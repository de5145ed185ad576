// Stage 2 of the parse worker's byte scanner in WebAssembly (AssemblyScript; compiled by
// cli/scripts/build-wasm.mjs to dist/reader/scan-line.wasm). A line-for-line port of
// LineScanner.scan in cli/src/reader/scan-line.ts: the same validation of the whole line as
// JSON.parse would do it, the same fields, the same SCAN_UNSURE cases. It is not TypeScript of
// the package (tsc and vitest do not see this folder).
//
// Memory: the module imports stage 1's memory (special-bytes.wat), where special-bytes.ts has
// copied the chunk at BASE and stage 1 has written its marks. Positions taken and returned are
// indices into the chunk (byte i is at BASE + i). The results of a SCAN_OK line are written at
// address 0 (R_* slots, i32; the timestamp as an f64 at R_TS_US), read back by scan-wasm.ts.
// Whatever it is unsure of it leaves to the JavaScript: a timestamp it cannot read with the
// minute JS gave it (R_TS_US NaN), a turn that is not plain digits (R_TURN = -2), the usage
// numbers of a line whose `data` came before `event_type` (R_USAGE_NOTED = 0).
//
// It also keeps a cache of the parse worker's string table (its event types, session ids and
// label sets, by their bytes, to the id the JavaScript table gave them): a line whose strings are
// all known gets their ids here, without a JS hash, probe and comparison. It is a cache only: a
// miss (R_*_ID = -1) goes to the JS table, which then hands the id back (remember*); when the JS
// table starts afresh, so does the cache (forget); when the cache is full it stops learning.
//
// And it writes the parse worker's batch rows itself (`rows`, at the end of this file): one call
// for a run of the chunk's lines, a row for each line it can finish alone, stopping before the
// first it cannot (the JS finishes that one from the results at 0 and calls again).

// the cache, below the chunk: hash slots, entries (hash, arena offset, length, id), the arena of
// their bytes, a scratch key (a label set, as labelSetKey writes it)
const SLOTS: usize = 16384;
const SLOT_AT: usize = 1024;
const MAX_ENTRIES: i32 = 8192;
const ENTRY_AT: usize = SLOT_AT + SLOTS * 4;
const ARENA_BYTES: i32 = 262144;
const ARENA_AT: usize = ENTRY_AT + <usize>MAX_ENTRIES * 16;
const KEY_AT: usize = ARENA_AT + <usize>ARENA_BYTES;
const KEY_BYTES: i32 = 4096;
// the batch rows the module writes itself (`rows`), below the cache: the batch's span ids
// (hash slots, entries (hash, arena offset, length, id), their bytes, a scratch key for the JS's
// lookups), each row's ts (f64) and ints (ROW_INTS i32, the batch's `ints` layout), the usage
// entries (USAGE_F64 f64 each, the batch's `usage` layout), the byte ranges of the spans new in
// the last call, and numbersRule() of each event type by its table id (0: not known)
const SPAN_SLOTS: usize = 16384;
const SPAN_SLOT_AT: usize = KEY_AT + <usize>KEY_BYTES;
const MAX_SPANS: i32 = 8192;
const SPAN_ENTRY_AT: usize = SPAN_SLOT_AT + SPAN_SLOTS * 4;
const SPAN_ARENA_BYTES: i32 = 131072;
const SPAN_ARENA_AT: usize = SPAN_ENTRY_AT + <usize>MAX_SPANS * 16;
const SPAN_KEY_AT: usize = SPAN_ARENA_AT + <usize>SPAN_ARENA_BYTES;
const SPAN_KEY_BYTES: i32 = 4096;
const ROWS_MAX: i32 = 8192;
const ROW_INTS: i32 = 6; // worker-protocol.ts STRIDE (checked at load)
const ROWS_TS_AT: usize = SPAN_KEY_AT + <usize>SPAN_KEY_BYTES;
const ROWS_INTS_AT: usize = ROWS_TS_AT + <usize>ROWS_MAX * 8;
const USAGE_MAX: i32 = 2048;
const USAGE_F64: i32 = 5; // worker-protocol.ts USAGE_STRIDE (checked at load)
const USAGE_AT: usize = ROWS_INTS_AT + <usize>(ROWS_MAX * ROW_INTS) * 4;
const NEW_SPANS_AT: usize = USAGE_AT + <usize>(USAGE_MAX * USAGE_F64) * 8;
const RULES_MAX: i32 = 16384;
const RULES_AT: usize = NEW_SPANS_AT + <usize>ROWS_MAX * 8;
/** The chunk's first byte (special-bytes.ts CHUNK_AT: checked at load through chunkAt()). */
const BASE: usize = RULES_AT + <usize>RULES_MAX;

// result slots (i32 index at address 0): keep in step with scan-wasm.ts
const R_TS_START = 0;
const R_TS_END = 1;
const R_TYPE_START = 2;
const R_TYPE_END = 3;
const R_SID_START = 4;
const R_SID_END = 5;
const R_TURN = 6;
const R_TURN_START = 7;
const R_TURN_END = 8;
const R_SPAN_START = 9;
const R_SPAN_END = 10;
const R_LABELS = 11; // 8 slots
const R_HAS_LABELS = 19;
const R_DATA_START = 20;
const R_DATA_END = 21;
const R_USAGE_LINE = 22;
const R_USAGE_NOTED = 23;
const R_USAGE = 24; // 8 slots
const R_TS_US: usize = 128; // byte address of the f64 (i32 slots 32, 33)
const R_TYPE_ID = 34; // the string table's ids from the cache, -1 when not known
const R_SID_ID = 35;
const R_LABELS_ID = 36; // -1 also when the line has no labels, -2 when the key does not fit KEY_BYTES
// what the last `rows` call did: rows written, lines passed (blank ones too; not the line it
// stopped at), why it stopped, that line's end (STOP_SCANNED), usage entries written, new spans
const R_ROWS = 37;
const R_LINES = 38;
const R_STOP = 39;
const R_STOP_END = 40;
const R_USAGE_ROWS = 41;
const R_NEW_SPANS = 42;
const STOP_DONE = 0; // no line left that starts before `limit`
const STOP_SCANNED = 1; // a line scanned SCAN_OK that the JS finishes (its results are at 0)
const STOP_JS = 2; // a line the JS takes from the start (SCAN_UNSURE, no newline in the chunk, over the bound)
const STOP_FULL = 3; // the rows or usage region is full: the JS copies them out and calls again
// worker-protocol.ts numbersRule()
const NUMBERS_NONE: u8 = 1;
const NUMBERS_WITHOUT_SPAN: u8 = 3;
// the usage types (worker-protocol.ts USAGE_TYPES), written by scan-wasm.ts: entry k at
// TYPES + 36 k, its length (i32) then its bytes (at most 32)
const TYPES: usize = 256;

const SCAN_OK = 0;
const SCAN_BLANK = 1;
const SCAN_UNSURE = 2;
const MAX_DEPTH = 256;
const F_ESCAPE = 1;

const K_ABSENT = 0;
const K_STRING = 1;
const K_NULL = 2;
const K_OBJECT = 3;
const K_NUMBER = 4;
const K_OTHER = 5;

const T_OTHER = 0;
const T_TIMESTAMP = 1;
const T_TYPE = 2;
const T_SESSION = 3;
const T_DATA = 4;
const T_TURN = 5;
const T_SPAN = 6;

let end: i32 = 0;
let marks: usize = 0;
let strFlags: i32 = 0;
let tsKind: i32 = 0;
let typeKind: i32 = 0;
let sidKind: i32 = 0;
let dataKind: i32 = 0;
let turnKind: i32 = 0;
let spanKind: i32 = 0;
let usageLine: bool = false;
let usageNoted: bool = false;
// true at first: the label slots of fresh memory hold 0, the first clear writes -1
let labelsSet: bool = true;

let usageTypes: i32 = 0;
let usageLengths: u32 = 0;

let prefixValid: bool = false;
let prefix0: i32 = 0;
let prefix1: i32 = 0;
let prefix2: i32 = 0;
let prefix3: i32 = 0;
let prefixMs: f64 = 0;

@inline function at(i: i32): i32 {
  return <i32>load<u8>(<usize>i, BASE);
}
@inline function word(i: i32): i32 {
  return load<i32>(<usize>i, BASE);
}
@inline function put(slot: i32, v: i32): void {
  store<i32>(<usize>slot << 2, v);
}
@inline function get(slot: i32): i32 {
  return load<i32>(<usize>slot << 2);
}

/** Stage 1's marks of the chunk now in memory start at `ptr` (special-bytes.ts). */
export function useMarks(ptr: usize): void {
  marks = ptr;
}

/** The minute `YYYY-MM-DDTHH:MM` (its 16 bytes as four little-endian words) is at `ms` milliseconds: JS worked it out. */
export function setPrefix(w0: i32, w1: i32, w2: i32, w3: i32, ms: f64): void {
  prefix0 = w0;
  prefix1 = w1;
  prefix2 = w2;
  prefix3 = w3;
  prefixMs = ms;
  prefixValid = true;
}

/** `n` usage types are in the table at TYPES. */
export function setUsageTypes(n: i32): void {
  usageTypes = n;
  usageLengths = 0;
  for (let k = 0; k < n; k++) usageLengths |= 1 << load<i32>(TYPES + <usize>k * 36);
}

/** Scans the chunk's bytes [start, e) (one line, without its `\n`): SCAN_OK (results at 0), SCAN_BLANK or SCAN_UNSURE. */
export function scan(start: i32, e: i32): i32 {
  end = e;
  let i = ws(start);
  if (i >= end) return SCAN_BLANK;
  if (at(i) != 123) return SCAN_UNSURE;
  tsKind = K_ABSENT;
  typeKind = K_ABSENT;
  sidKind = K_ABSENT;
  dataKind = K_ABSENT;
  put(R_DATA_START, -1);
  put(R_DATA_END, -1);
  usageLine = false;
  usageNoted = false;
  turnKind = K_ABSENT;
  spanKind = K_ABSENT;
  clearLabels();
  i = ws(i + 1);
  if (i >= end) return SCAN_UNSURE;
  if (at(i) == 125) return SCAN_UNSURE;
  while (true) {
    if (i >= end || at(i) != 34) return SCAN_UNSURE;
    const ks = i + 1;
    i = str(i);
    if (i < 0 || strFlags != 0) return SCAN_UNSURE;
    const ke = i - 1;
    i = ws(i);
    if (i >= end || at(i) != 58) return SCAN_UNSURE;
    i = ws(i + 1);
    if (i >= end) return SCAN_UNSURE;
    i = topValue(ks, ke - ks, i);
    if (i < 0) return SCAN_UNSURE;
    i = ws(i);
    if (i >= end) return SCAN_UNSURE;
    const c = at(i);
    if (c == 44) {
      i = ws(i + 1);
      continue;
    }
    if (c == 125) break;
    return SCAN_UNSURE;
  }
  if (ws(i + 1) != end) return SCAN_UNSURE;
  if (tsKind != K_STRING || typeKind != K_STRING || get(R_TYPE_END) == get(R_TYPE_START)) return SCAN_UNSURE;
  if (sidKind == K_ABSENT || sidKind == K_NULL) {
    put(R_SID_START, -1);
    put(R_SID_END, -1);
  } else if (sidKind != K_STRING) return SCAN_UNSURE;
  if (dataKind != K_ABSENT && dataKind != K_NULL && dataKind != K_OBJECT) return SCAN_UNSURE;
  if (spanKind != K_STRING || get(R_SPAN_END) == get(R_SPAN_START)) {
    put(R_SPAN_START, -1);
    put(R_SPAN_END, -1);
  }
  put(R_TURN, turnKind == K_NUMBER ? turnValue() : -1);
  put(R_HAS_LABELS, get(R_LABELS) >= 0 || get(R_LABELS + 2) >= 0 || get(R_LABELS + 4) >= 0 || get(R_LABELS + 6) >= 0 ? 1 : 0);
  put(R_USAGE_LINE, usageLine ? 1 : 0);
  put(R_USAGE_NOTED, usageNoted ? 1 : 0);
  store<f64>(R_TS_US, timestamp(get(R_TS_START), get(R_TS_END)));
  put(R_TYPE_ID, lookup(BASE + <usize>get(R_TYPE_START), get(R_TYPE_END) - get(R_TYPE_START)));
  put(R_SID_ID, get(R_SID_START) < 0 ? -1 : lookup(BASE + <usize>get(R_SID_START), get(R_SID_END) - get(R_SID_START)));
  keyLen = -1;
  if (get(R_HAS_LABELS) == 0) put(R_LABELS_ID, -1);
  else {
    keyLen = labelKey();
    put(R_LABELS_ID, keyLen < 0 ? -2 : lookup(KEY_AT, keyLen));
  }
  return SCAN_OK;
}

/** The chunk's address in memory (the JS side checks it agrees). */
export function chunkAt(): usize {
  return BASE;
}

let entries: i32 = 0;
let arenaLen: i32 = 0;
/** The length of the last line's label set key at KEY_AT, -1 when it has none. */
let keyLen: i32 = -1;

/** Empties the cache and the types' rules (the JS table started afresh). Before any chunk the memory may not reach the cache yet: then it holds nothing. */
export function forget(): void {
  entries = 0;
  arenaLen = 0;
  if ((<usize>memory.size() << 16) >= BASE) {
    memory.fill(SLOT_AT, 0, SLOTS * 4);
    memory.fill(RULES_AT, 0, <usize>RULES_MAX);
  }
}

/** The chunk's bytes [s, e) have id `id` in the JS table. */
export function remember(s: i32, e: i32, id: i32): void {
  insert(BASE + <usize>s, e - s, id);
}

/** The label set of the last line scanned (its key still at KEY_AT) has id `id`. */
export function rememberLabels(id: i32): void {
  if (keyLen >= 0) insert(KEY_AT, keyLen, id);
}

function insert(p: usize, n: i32, id: i32): void {
  if (entries >= MAX_ENTRIES || arenaLen + n > ARENA_BYTES) return;
  const h = hashOf(p, n);
  if (find(SLOT_AT, SLOTS, ENTRY_AT, ARENA_AT, p, n, h) >= 0) return;
  add(SLOT_AT, ENTRY_AT, ARENA_AT, entries++, arenaLen, p, n, h, id);
  arenaLen += n;
}

/** The id of the `n` bytes at `p`, or -1. */
function lookup(p: usize, n: i32): i32 {
  return find(SLOT_AT, SLOTS, ENTRY_AT, ARENA_AT, p, n, hashOf(p, n));
}

/** The empty slot the last find() ended at (its index). */
let freeSlot: u32 = 0;

/**
 * The id of the `n` bytes at `p` (hash `h`) in the table of `slots` slots at slotAt (each an
 * entry's number + 1, 0: empty), entries at entryAt (hash, arena offset, length, id) and bytes at
 * arenaAt; -1 when absent (freeSlot: where it goes). The cache and the batch's span ids are two.
 */
function find(slotAt: usize, slots: usize, entryAt: usize, arenaAt: usize, p: usize, n: i32, h: u32): i32 {
  const mask = <u32>(slots - 1);
  let j = h & mask;
  while (true) {
    const v = load<i32>(slotAt + (<usize>j << 2));
    if (v == 0) {
      freeSlot = j;
      return -1;
    }
    const en = entryAt + (<usize>(v - 1) << 4);
    if (load<u32>(en) == h && load<i32>(en, 8) == n && same(arenaAt + <usize>load<i32>(en, 4), p, n)) return load<i32>(en, 12);
    j = (j + 1) & mask;
  }
}

/** Entry `k` for the `n` bytes at `p` (hash `h`, id `id`), its bytes at arena offset `off`, in the slot the last find() left free. */
function add(slotAt: usize, entryAt: usize, arenaAt: usize, k: i32, off: i32, p: usize, n: i32, h: u32, id: i32): void {
  const en = entryAt + (<usize>k << 4);
  store<u32>(en, h);
  store<i32>(en, off, 4);
  store<i32>(en, n, 8);
  store<i32>(en, id, 12);
  memory.copy(arenaAt + <usize>off, p, n);
  store<i32>(slotAt + (<usize>freeSlot << 2), k + 1);
}

@inline function same(a: usize, b: usize, n: i32): bool {
  let i = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
  for (; i < n; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  return true;
}

/** FNV-1a over 4-byte words, then the last bytes one by one. */
function hashOf(p: usize, n: i32): u32 {
  let h: u32 = (0x811c9dc5 ^ <u32>n) * 16777619;
  let i = 0;
  for (; i + 4 <= n; i += 4) h = (h ^ load<u32>(p + <usize>i)) * 16777619;
  for (; i < n; i++) h = (h ^ <u32>load<u8>(p + <usize>i)) * 16777619;
  return h ^ (h >>> 15);
}

/** The line's label set as labelSetKey writes it (per label `-`, or its length in decimal, `:` and its bytes) at KEY_AT; its length, or -1 when over KEY_BYTES. */
function labelKey(): i32 {
  let n = 0;
  for (let j = 0; j < 8; j += 2) {
    const s = get(R_LABELS + j);
    if (s < 0) {
      if (n + 1 > KEY_BYTES) return -1;
      store<u8>(KEY_AT + <usize>(n++), 45);
      continue;
    }
    const len = get(R_LABELS + j + 1) - s;
    if (n + len + 12 > KEY_BYTES) return -1;
    // the length's digits
    let digits = 1;
    for (let v = len; v >= 10; v = v / 10) digits++;
    for (let v = len, d = digits - 1; d >= 0; d--, v = v / 10) store<u8>(KEY_AT + <usize>(n + d), 48 + (v % 10));
    n += digits;
    store<u8>(KEY_AT + <usize>(n++), 58);
    memory.copy(KEY_AT + <usize>n, BASE + <usize>s, len);
    n += len;
  }
  return n;
}

function clearLabels(): void {
  if (!labelsSet) return;
  for (let k = 0; k < 8; k++) put(R_LABELS + k, -1);
  labelsSet = false;
}

function clearUsage(): void {
  for (let k = 0; k < 8; k++) put(R_USAGE + k, -1);
}

@inline function ws(i: i32): i32 {
  while (i < end) {
    const c = at(i);
    if (c != 32 && c != 9 && c != 13 && c != 10) break;
    i++;
  }
  return i;
}

function topValue(ks: i32, klen: i32, i: i32): i32 {
  const c = at(i);
  switch (topKey(ks, klen)) {
    case T_TIMESTAMP: {
      if (c != 34) {
        tsKind = K_OTHER;
        return value(i, 0);
      }
      const e = str(i);
      if (e < 0 || strFlags != 0) return -1;
      tsKind = K_STRING;
      put(R_TS_START, i + 1);
      put(R_TS_END, e - 1);
      return e;
    }
    case T_TYPE: {
      if (c != 34) {
        typeKind = K_OTHER;
        return value(i, 0);
      }
      const e = str(i);
      if (e < 0 || strFlags != 0) return -1;
      typeKind = K_STRING;
      put(R_TYPE_START, i + 1);
      put(R_TYPE_END, e - 1);
      const n = e - i - 2;
      usageLine = n < 32 && ((usageLengths >>> n) & 1) == 1 && usageTypeAt(i + 1, n);
      return e;
    }
    case T_SESSION: {
      if (c != 34) {
        const e = value(i, 0);
        sidKind = c == 110 ? K_NULL : K_OTHER;
        return e;
      }
      const e = str(i);
      if (e < 0 || strFlags != 0) return -1;
      sidKind = K_STRING;
      put(R_SID_START, i + 1);
      put(R_SID_END, e - 1);
      return e;
    }
    case T_DATA: {
      clearLabels();
      if (c == 123) {
        dataKind = K_OBJECT;
        put(R_DATA_START, i);
        if (usageLine) clearUsage();
        usageNoted = usageLine;
        const e = dataObject(i);
        put(R_DATA_END, e);
        return e;
      }
      dataKind = c == 110 ? K_NULL : K_OTHER;
      put(R_DATA_START, -1);
      put(R_DATA_END, -1);
      if (usageLine) clearUsage();
      usageNoted = false;
      return value(i, 0);
    }
    case T_TURN: {
      const e = value(i, 0);
      if (c == 45 || (c >= 48 && c <= 57)) {
        turnKind = K_NUMBER;
        put(R_TURN_START, i);
        put(R_TURN_END, e);
      } else turnKind = K_OTHER;
      return e;
    }
    case T_SPAN: {
      if (c != 34) {
        spanKind = K_OTHER;
        return value(i, 0);
      }
      const e = str(i);
      if (e < 0 || strFlags != 0) return -1;
      spanKind = K_STRING;
      put(R_SPAN_START, i + 1);
      put(R_SPAN_END, e - 1);
      return e;
    }
  }
  return value(i, 0);
}

function dataObject(i: i32): i32 {
  i = ws(i + 1);
  if (i < end && at(i) == 125) return i + 1;
  while (true) {
    if (i >= end || at(i) != 34) return -1;
    const ks = i + 1;
    i = str(i);
    if (i < 0) return -1;
    if ((strFlags & F_ESCAPE) != 0) return -1;
    const klen = i - 1 - ks;
    let slot = labelSlot(ks, klen);
    if (slot < 0 && usageLine) slot = usageSlot(ks, klen);
    i = ws(i);
    if (i >= end || at(i) != 58) return -1;
    i = ws(i + 1);
    if (i >= end) return -1;
    if (slot >= 8) i = usageValue(slot - 8, i);
    else if (slot >= 0) {
      if (at(i) == 34) {
        const e = str(i);
        if (e < 0 || strFlags != 0) return -1;
        put(R_LABELS + slot, i + 1);
        put(R_LABELS + slot + 1, e - 1);
        labelsSet = true;
        i = e;
      } else {
        put(R_LABELS + slot, -1);
        put(R_LABELS + slot + 1, -1);
        i = value(i, 1);
      }
    } else i = value(i, 1);
    if (i < 0) return -1;
    i = ws(i);
    if (i >= end) return -1;
    const c = at(i);
    if (c == 44) {
      i = ws(i + 1);
      continue;
    }
    if (c == 125) return i + 1;
    return -1;
  }
}

function usageValue(k: i32, i: i32): i32 {
  const c = at(i);
  const e = value(i, 1);
  const num = e >= 0 && (c == 45 || (c >= 48 && c <= 57));
  put(R_USAGE + k, num ? i : -1);
  put(R_USAGE + k + 1, num ? e : -1);
  return e;
}

function value(i: i32, depth: i32): i32 {
  if (i >= end) return -1;
  const c = at(i);
  if (c == 34) return str(i);
  if (c == 123 || c == 91) {
    if (depth >= MAX_DEPTH) return -1;
    const close = c == 123 ? 125 : 93;
    i = ws(i + 1);
    if (i < end && at(i) == close) return i + 1;
    while (true) {
      if (c == 123) {
        if (i >= end || at(i) != 34) return -1;
        i = str(i);
        if (i < 0) return -1;
        i = ws(i);
        if (i >= end || at(i) != 58) return -1;
        i = ws(i + 1);
      }
      i = value(i, depth + 1);
      if (i < 0) return -1;
      i = ws(i);
      if (i >= end) return -1;
      const d = at(i);
      if (d == 44) {
        i = ws(i + 1);
        continue;
      }
      if (d == close) return i + 1;
      return -1;
    }
  }
  if (c == 45 || (c >= 48 && c <= 57)) return num(i);
  if (c == 116) return i + 4 <= end && at(i + 1) == 114 && at(i + 2) == 117 && at(i + 3) == 101 ? i + 4 : -1; // true
  if (c == 102) return i + 5 <= end && at(i + 1) == 97 && at(i + 2) == 108 && at(i + 3) == 115 && at(i + 4) == 101 ? i + 5 : -1; // false
  if (c == 110) return i + 4 <= end && at(i + 1) == 117 && at(i + 2) == 108 && at(i + 3) == 108 ? i + 4 : -1; // null
  return -1;
}

/** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
function num(i: i32): i32 {
  if (at(i) == 45) i++;
  if (i >= end) return -1;
  let c = at(i);
  if (c == 48) i++;
  else if (c >= 49 && c <= 57) {
    i++;
    while (i < end && <u32>(at(i) - 48) <= 9) i++;
  } else return -1;
  if (i < end && at(i) == 46) {
    i++;
    const s = i;
    while (i < end && <u32>(at(i) - 48) <= 9) i++;
    if (i == s) return -1;
  }
  if (i < end && (at(i) == 101 || at(i) == 69)) {
    i++;
    if (i < end && (at(i) == 43 || at(i) == 45)) i++;
    const s = i;
    while (i < end && <u32>(at(i) - 48) <= 9) i++;
    if (i == s) return -1;
  }
  return i;
}

/** The first marked byte at or after `i` (the padding after the chunk is marked: there is one). */
@inline function nextMarked(i: i32): i32 {
  let w = <usize>(i >>> 5);
  let m = load<u32>(marks + (w << 2)) >>> (<u32>i & 31);
  if (m != 0) return i + <i32>ctz(m);
  do {
    w++;
    m = load<u32>(marks + (w << 2));
  } while (m == 0);
  return (<i32>w << 5) + <i32>ctz(m);
}

/** A string at the quote `i`: the index after its closing quote, or -1; sets strFlags. Plain bytes are skipped by stage 1's marks. */
function str(i: i32): i32 {
  let flags = 0;
  i++;
  while (true) {
    i = nextMarked(i);
    if (i >= end) return -1;
    const c = at(i);
    if (c == 34) {
      strFlags = flags;
      return i + 1;
    }
    if (c == 92) {
      flags |= F_ESCAPE;
      i = escape(i);
      if (i < 0) return -1;
      continue;
    }
    if (c < 32) return -1;
    flags |= 2; // >= 128: non-ASCII (every other marked byte has been taken above)
    i++;
  }
}

function escape(i: i32): i32 {
  if (i + 1 >= end) return -1;
  const e = at(i + 1);
  if (e == 117) {
    if (i + 5 >= end) return -1;
    for (let j = i + 2; j < i + 6; j++) {
      const h = at(j);
      if (!((h >= 48 && h <= 57) || (h >= 65 && h <= 70) || (h >= 97 && h <= 102))) return -1;
    }
    return i + 6;
  }
  if (e != 34 && e != 92 && e != 47 && e != 98 && e != 102 && e != 110 && e != 114 && e != 116) return -1;
  return i + 2;
}

/** `turn` when it is at most 9 plain digits; -2: the JavaScript reads it (as LineScanner.turnValue does). */
function turnValue(): i32 {
  const s = get(R_TURN_START);
  const e = get(R_TURN_END);
  if (e - s > 9) return -2;
  let v = 0;
  for (let j = s; j < e; j++) {
    const d = at(j) - 48;
    if (<u32>d > 9) return -2;
    v = v * 10 + d;
  }
  return v;
}

/** LineScanner.timestamp with the minute JS gave (setPrefix); NaN: the JavaScript reads it. */
function timestamp(s: i32, e: i32): f64 {
  const n = e - s;
  if (n < 20 || at(s + 10) != 84) return NaN;
  if (!(prefixValid && word(s) == prefix0 && word(s + 4) == prefix1 && word(s + 8) == prefix2 && word(s + 12) == prefix3)) return NaN;
  if (n == 27 && at(s + 19) == 46 && at(s + 26) == 90) {
    const s1 = at(s + 17) - 48;
    const s2 = at(s + 18) - 48;
    const f0 = at(s + 20) - 48;
    const f1 = at(s + 21) - 48;
    const f2 = at(s + 22) - 48;
    const f3 = at(s + 23) - 48;
    const f4 = at(s + 24) - 48;
    const f5 = at(s + 25) - 48;
    const digits = <u32>s1 <= 5 && <u32>s2 <= 9 && <u32>f0 <= 9 && <u32>f1 <= 9 && <u32>f2 <= 9 && <u32>f3 <= 9 && <u32>f4 <= 9 && <u32>f5 <= 9;
    if (at(s + 16) == 58 && digits) {
      const micros = ((((f0 * 10 + f1) * 10 + f2) * 10 + f3) * 10 + f4) * 10 + f5;
      return (prefixMs + <f64>((s1 * 10 + s2) * 1000)) * 1000 + <f64>micros;
    }
  }
  const s1 = at(s + 17) - 48;
  const s2 = at(s + 18) - 48;
  if (at(s + 16) != 58 || !(s1 >= 0 && s1 <= 5 && s2 >= 0 && s2 <= 9)) return NaN;
  const secMs = (s1 * 10 + s2) * 1000;
  let i = s + 19;
  let micros = 0;
  if (at(i) == 46) {
    i++;
    let digits = 0;
    while (i < e) {
      const d = at(i) - 48;
      if (d < 0 || d > 9) break;
      if (digits < 6) micros = micros * 10 + d;
      digits++;
      i++;
    }
    if (digits == 0) return NaN;
    for (; digits < 6; digits++) micros *= 10;
  }
  const rest = e - i;
  let offsetMin = 0;
  if (rest == 1 && (at(i) == 90 || at(i) == 122)) {
    offsetMin = 0;
  } else if (rest == 6 && at(i + 3) == 58) {
    const sign = at(i);
    const h = (at(i + 1) - 48) * 10 + (at(i + 2) - 48);
    const m = (at(i + 4) - 48) * 10 + (at(i + 5) - 48);
    if (!(h >= 0 && h <= 99 && m >= 0 && m <= 99) || (sign != 43 && sign != 45)) return NaN;
    offsetMin = (sign == 45 ? -1 : 1) * (h * 60 + m);
  } else {
    return NaN;
  }
  return (prefixMs + <f64>secMs - <f64>(offsetMin * 60000)) * 1000 + <f64>micros;
}

function usageTypeAt(s: i32, n: i32): bool {
  for (let k = 0; k < usageTypes; k++) {
    const t = TYPES + <usize>k * 36;
    if (load<i32>(t) != n) continue;
    let j = 0;
    while (j < n && <i32>load<u8>(t + 4 + <usize>j) == at(s + j)) j++;
    if (j == n) return true;
  }
  return false;
}

function topKey(ks: i32, klen: i32): i32 {
  switch (klen) {
    case 4: {
      const w = word(ks);
      return w == 0x61746164 /* data */ ? T_DATA : w == 0x6e727574 /* turn */ ? T_TURN : T_OTHER;
    }
    case 7:
      return word(ks) == 0x6e617073 && word(ks + 3) == 0x64695f6e /* span_id */ ? T_SPAN : T_OTHER;
    case 9:
      return word(ks) == 0x656d6974 && word(ks + 4) == 0x6d617473 && word(ks + 5) == 0x706d6174 /* timestamp */ ? T_TIMESTAMP : T_OTHER;
    case 10:
      if (word(ks) == 0x6e657665 && word(ks + 4) == 0x79745f74 && word(ks + 6) == 0x65707974 /* event_type */) return T_TYPE;
      return word(ks) == 0x73736573 && word(ks + 4) == 0x5f6e6f69 && word(ks + 6) == 0x64695f6e /* session_id */ ? T_SESSION : T_OTHER;
    default:
      return T_OTHER;
  }
}

function labelSlot(ks: i32, klen: i32): i32 {
  switch (klen) {
    case 5: {
      if (word(ks) == 0x65646f6d && word(ks + 1) == 0x6c65646f /* model */) return 2;
      return word(ks) == 0x63696f76 && word(ks + 1) == 0x6563696f /* voice */ ? 4 : -1;
    }
    case 8:
      return word(ks) == 0x766f7270 && word(ks + 4) == 0x72656469 /* provider */ ? 0 : -1;
    case 9:
      return word(ks) == 0x6e617274 && word(ks + 4) == 0x726f7073 && word(ks + 5) == 0x74726f70 /* transport */ ? 6 : -1;
    default:
      return -1;
  }
}

function usageSlot(ks: i32, klen: i32): i32 {
  switch (klen) {
    case 7:
      return word(ks) == 0x69647561 && word(ks + 3) == 0x735f6f69 /* audio_s */ ? 10 : -1;
    case 10:
      return word(ks) == 0x72616863 && word(ks + 4) == 0x65746361 && word(ks + 6) == 0x73726574 /* characters */ ? 8 : -1;
    case 12:
      return word(ks) == 0x75706e69 && word(ks + 4) == 0x6f745f74 && word(ks + 8) == 0x736e656b /* input_tokens */ ? 12 : -1;
    case 13:
      return word(ks) == 0x7074756f && word(ks + 4) == 0x745f7475 && word(ks + 8) == 0x6e656b6f && word(ks + 9) == 0x736e656b /* output_tokens */ ? 14 : -1;
    default:
      return -1;
  }
}

// ---- the batch rows (`rows`): the lines of a run of the chunk that the module finishes alone ----

/** Where the JS finds the rows, usage entries, new spans and the span key (scan-wasm.ts reads them at load), and their sizes. */
export function layout(k: i32): i32 {
  switch (k) {
    case 0: return <i32>ROWS_TS_AT;
    case 1: return <i32>ROWS_INTS_AT;
    case 2: return ROWS_MAX;
    case 3: return ROW_INTS;
    case 4: return <i32>USAGE_AT;
    case 5: return USAGE_MAX;
    case 6: return USAGE_F64;
    case 7: return <i32>NEW_SPANS_AT;
    case 8: return <i32>SPAN_KEY_AT;
    case 9: return SPAN_KEY_BYTES;
    default: return -1;
  }
}

/** numbersRule() of the event type whose table id is `id` (kept until `forget`). */
export function setRule(id: i32, rule: i32): void {
  if (<u32>id < <u32>RULES_MAX) store<u8>(RULES_AT + <usize>id, <u8>rule);
}

// the batch's span ids: ids in order of first sight, shared with the JS (spanNext); the module is
// the one table of the batch while rows are on (the JS's lookups come here too: spanAt, spanKey)
let spanCount: i32 = 0;
let spanEntries: i32 = 0;
let spanArena: i32 = 0;
/** The last spanId() gave a new id. */
let spanWasNew: bool = false;

/** A new batch: no span ids yet. */
export function spanReset(): void {
  spanCount = 0;
  spanEntries = 0;
  spanArena = 0;
  memory.fill(SPAN_SLOT_AT, 0, SPAN_SLOTS * 4);
}

/** The span id of the chunk's bytes [s, e), a new one when first seen; -1: the JS keeps it (too long, or the table full). */
export function spanAt(s: i32, e: i32): i32 {
  return spanId(BASE + <usize>s, e - s);
}

/** The same for the `n` bytes the JS wrote at the span key (layout 8). */
export function spanKey(n: i32): i32 {
  return spanId(SPAN_KEY_AT, n);
}

/** A new id for a span the JS keeps itself (not ASCII, too long, or the table full). */
export function spanNext(): i32 {
  return spanCount++;
}

function spanId(p: usize, n: i32): i32 {
  spanWasNew = false;
  if (n > SPAN_KEY_BYTES) return -1;
  const h = hashOf(p, n);
  const found = find(SPAN_SLOT_AT, SPAN_SLOTS, SPAN_ENTRY_AT, SPAN_ARENA_AT, p, n, h);
  if (found >= 0) return found;
  if (spanEntries >= MAX_SPANS || spanArena + n > SPAN_ARENA_BYTES) return -1;
  const id = spanCount++;
  add(SPAN_SLOT_AT, SPAN_ENTRY_AT, SPAN_ARENA_AT, spanEntries++, spanArena, p, n, h, id);
  spanArena += n;
  spanWasNew = true;
  return id;
}

/** The first `\n` in the chunk's bytes [p, n), or -1. */
function newline(p: i32, n: i32): i32 {
  const nl = i8x16.splat(10);
  let i = p;
  while (i + 16 <= n) {
    const m = i8x16.bitmask(i8x16.eq(v128.load(BASE + <usize>i), nl));
    if (m != 0) return i + <i32>ctz(m);
    i += 16;
  }
  for (; i < n; i++) if (at(i) == 10) return i;
  return -1;
}

let usageRows: i32 = 0;
let newSpans: i32 = 0;
let numberOk: bool = false;
// the usage figures of the line being finished
let fig0: f64 = 0;
let fig1: f64 = 0;
let fig2: f64 = 0;
let fig3: f64 = 0;

/**
 * The rows of the lines that start in the chunk's bytes [p, limit), split as the parse worker's
 * readChunks does (a line ends at its `\n`; blank lines and CR as the scan takes them), written
 * from row `row0` of the rows region on (the event's index in the batch is k0 + row; its line
 * line0 + 1 + lines passed), for as long as each line is one it can finish alone: scanned
 * SCAN_OK, a timestamp of a minute it was given, a plain turn, the ids of its type, session and
 * labels in the cache, a type whose rule asks for no numbers, usage figures of the plain form
 * (jsonNumber's fast path), a span id of at most SPAN_KEY_BYTES with room in the batch's table.
 * It stops before the first line it cannot (R_STOP says why: the JS takes that line exactly as
 * before and calls again), when the rows or usage region is full, or at `limit`. Returns the
 * position of the line it stopped at (>= limit: none left).
 */
export function rows(p: i32, limit: i32, n: i32, maxLine: i32, line0: i32, row0: i32, k0: i32): i32 {
  let r = row0;
  let lines = 0;
  let stop = STOP_DONE;
  let stopEnd = -1;
  usageRows = 0;
  newSpans = 0;
  while (p < limit) {
    if (r >= ROWS_MAX || usageRows >= USAGE_MAX) {
      stop = STOP_FULL;
      break;
    }
    const e = newline(p, n);
    if (e < 0 || e - p > maxLine) {
      stop = STOP_JS;
      break;
    }
    const s = scan(p, e);
    if (s == SCAN_BLANK) {
      lines++;
      p = e + 1;
      continue;
    }
    if (s != SCAN_OK) {
      stop = STOP_JS;
      break;
    }
    if (!finish(r, line0 + lines + 1, k0 + r)) {
      stop = STOP_SCANNED;
      stopEnd = e;
      break;
    }
    r++;
    lines++;
    p = e + 1;
  }
  put(R_ROWS, r - row0);
  put(R_LINES, lines);
  put(R_STOP, stop);
  put(R_STOP_END, stopEnd);
  put(R_USAGE_ROWS, usageRows);
  put(R_NEW_SPANS, newSpans);
  return p;
}

/** The row of the line just scanned (results at 0), as the parse worker's Batch.line writes it; false (nothing written or learnt) when the JS must finish it. */
function finish(r: i32, line: i32, k: i32): bool {
  const ts = load<f64>(R_TS_US);
  if (isNaN(ts)) return false;
  const type = get(R_TYPE_ID);
  if (type < 0 || type >= RULES_MAX) return false;
  const rule = load<u8>(RULES_AT + <usize>type);
  // numbers parsed from data: the JS (JSON.parse); a rule not known yet: the JS works it out
  if (rule != NUMBERS_NONE && !(rule == NUMBERS_WITHOUT_SPAN && get(R_SPAN_START) >= 0)) return false;
  let sid = -1;
  if (get(R_SID_START) >= 0) {
    sid = get(R_SID_ID);
    if (sid < 0) return false;
  }
  const turn = get(R_TURN);
  if (turn == -2) return false;
  let labels = -1;
  if (get(R_HAS_LABELS) == 1) {
    labels = get(R_LABELS_ID);
    if (labels < 0) return false;
  }
  let usage = false;
  if (get(R_USAGE_LINE) == 1) {
    if (get(R_USAGE_NOTED) == 0) return false;
    fig0 = figure(0);
    fig1 = figure(2);
    fig2 = figure(4);
    fig3 = figure(6);
    if (!numberOk) return false;
    usage = get(R_USAGE) >= 0 || get(R_USAGE + 2) >= 0 || get(R_USAGE + 4) >= 0 || get(R_USAGE + 6) >= 0;
  }
  // the last check that can fail, and the first that changes anything: the span id
  let span = -1;
  const ss = get(R_SPAN_START);
  if (ss >= 0) {
    const se = get(R_SPAN_END);
    span = spanId(BASE + <usize>ss, se - ss);
    if (span < 0) return false;
    if (spanWasNew) {
      const at = NEW_SPANS_AT + (<usize>newSpans << 3);
      store<i32>(at, ss);
      store<i32>(at, se, 4);
      newSpans++;
    }
  }
  store<f64>(ROWS_TS_AT + (<usize>r << 3), ts);
  const o = ROWS_INTS_AT + <usize>(r * ROW_INTS) * 4;
  store<i32>(o, type);
  store<i32>(o, sid, 4);
  store<i32>(o, turn, 8);
  store<i32>(o, span, 12);
  store<i32>(o, labels, 16);
  store<i32>(o, line, 20);
  if (usage) {
    const u = USAGE_AT + <usize>(usageRows * USAGE_F64) * 8;
    store<f64>(u, <f64>k);
    store<f64>(u, fig0, 8);
    store<f64>(u, fig1, 16);
    store<f64>(u, fig2, 24);
    store<f64>(u, fig3, 32);
    usageRows++;
  }
  return true;
}

/** The usage figure in slots R_USAGE + j, j + 1 (NaN when absent); numberOk false when it is not of jsonNumber's fast form. */
function figure(j: i32): f64 {
  if (j == 0) numberOk = true;
  const s = get(R_USAGE + j);
  if (s < 0) return NaN;
  const v = plainNumber(s, get(R_USAGE + j + 1));
  if (isNaN(v)) numberOk = false;
  return v;
}

/**
 * jsonNumber's fast path (scan-line.ts) for the chunk's bytes [s, e), which the scan validated
 * as a JSON number: digits with at most one `.`, at most 15 significant digits, read as an exact
 * integer and divided once by an exact power of ten (the same IEEE operations as there); NaN for
 * any other form (a sign, an exponent, more digits), which the JS reads with Number().
 */
function plainNumber(s: i32, e: i32): f64 {
  if (e - s > 16) return NaN;
  let v: f64 = 0;
  let digits = 0;
  let point = -1;
  let i = s;
  for (; i < e; i++) {
    const c = at(i);
    if (c == 46 && point < 0 && i > s) point = digits;
    else if (c >= 48 && c <= 57) {
      v = v * 10 + <f64>(c - 48);
      digits++;
    } else break;
  }
  if (i != e || digits > 15 || point == digits) return NaN;
  return point < 0 ? v : v / pow10(digits - point);
}

function pow10(k: i32): f64 {
  let p: f64 = 1;
  for (let j = 0; j < k; j++) p *= 10;
  return p;
}
