;; Stage 1 of the parse worker's byte scanner (special-bytes.ts): one bit per input byte, set
;; where the scanner must stop inside a string: a quote, a backslash, a control byte (< 0x20)
;; or a byte of a multi-byte UTF-8 sequence (>= 0x80). Compiled to special-bytes.wasm at build
;; time by the `wabt` npm package (cli/scripts/build-wasm.mjs).
(module
  (memory (export "memory") 1)
  ;; classify(src, n, out): bytes [src, src + n) to bits at out, one u32 per 32 bytes, the first
  ;; byte in the lowest bit. n is a multiple of 32 (the caller pads); out must not overlap src.
  (func (export "classify") (param $src i32) (param $n i32) (param $out i32)
    (local $end i32)
    (local $v v128)
    (local $lo i32)
    (local.set $end (i32.add (local.get $src) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        ;; lt_s 0x20: bytes 0x00-0x1f, and 0x80-0xff (negative as signed bytes)
        (local.set $v (v128.load (local.get $src)))
        (local.set $lo
          (i8x16.bitmask
            (v128.or
              (v128.or
                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 34)))
                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 92))))
              (i8x16.lt_s (local.get $v) (i8x16.splat (i32.const 32))))))
        (local.set $v (v128.load offset=16 (local.get $src)))
        (i32.store (local.get $out)
          (i32.or
            (local.get $lo)
            (i32.shl
              (i8x16.bitmask
                (v128.or
                  (v128.or
                    (i8x16.eq (local.get $v) (i8x16.splat (i32.const 34)))
                    (i8x16.eq (local.get $v) (i8x16.splat (i32.const 92))))
                  (i8x16.lt_s (local.get $v) (i8x16.splat (i32.const 32)))))
              (i32.const 16))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $next))))
)
