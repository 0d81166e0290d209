;; wasmbeam demo: recursion, loops and linear memory.
;;
;;   cargo run --release -- invoke examples/demo.wat fib 30
;;   cargo run --release -- invoke examples/demo.wat count_primes 10000000
(module
  (memory (export "memory") 1)

  ;; Naive doubly recursive Fibonacci: fib(0) = 0, fib(1) = 1.
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  ;; How many primes are below $n (unsigned, at most 2^30): a sieve of
  ;; Eratosthenes with one byte per number in linear memory, grown as needed.
  ;; Traps (unreachable) when $n is too large or memory cannot grow.
  (func (export "count_primes") (param $n i32) (result i32)
    (local $pages i32) (local $i i32) (local $j i32) (local $count i32)
    (if (i32.gt_u (local.get $n) (i32.const 0x4000_0000)) (then unreachable))
    ;; Pages needed for bytes 0 .. $n-1, minus the pages we have.
    (local.set $pages
      (i32.sub
        (i32.shr_u (i32.add (local.get $n) (i32.const 0xffff)) (i32.const 16))
        (memory.size)))
    (if (i32.gt_s (local.get $pages) (i32.const 0))
      (then
        (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1))
          (then unreachable))))
    ;; byte[k] = 0: k not yet known to be composite.
    (memory.fill (i32.const 0) (i32.const 0) (local.get $n))
    (local.set $i (i32.const 2))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.eqz (i32.load8_u (local.get $i)))
          (then
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            ;; Mark i*i, i*i + i, ... (i < 2^15 here, so i*i cannot overflow
            ;; and neither can j + i, as j < n <= 2^30).
            (if (i32.lt_u (local.get $i) (i32.const 0x8000))
              (then
                (local.set $j (i32.mul (local.get $i) (local.get $i)))
                (block $marked
                  (loop $mark
                    (br_if $marked (i32.ge_u (local.get $j) (local.get $n)))
                    (i32.store8 (local.get $j) (i32.const 1))
                    (local.set $j (i32.add (local.get $j) (local.get $i)))
                    (br $mark)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $count))
)
