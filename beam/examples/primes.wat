;; Counts the primes below a limit by trial division, and reports its
;; progress to the host every `step` numbers through the import
;; env.progress(n, primes_so_far) -> keep_going (0 stops early).
(module
  (import "env" "progress" (func $progress (param i32 i32) (result i32)))
  (func $is_prime (param $n i32) (result i32)
    (local $d i32)
    (if (i32.lt_u (local.get $n) (i32.const 2)) (then (return (i32.const 0))))
    (local.set $d (i32.const 2))
    (block $done
      (loop $try
        (br_if $done (i32.gt_u (i32.mul (local.get $d) (local.get $d)) (local.get $n)))
        (if (i32.eqz (i32.rem_u (local.get $n) (local.get $d))) (then (return (i32.const 0))))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $try)))
    (i32.const 1))
  (func (export "count_primes") (param $limit i32) (param $step i32) (result i32)
    (local $n i32) (local $count i32)
    (block $stop
      (loop $next
        (br_if $stop (i32.ge_u (local.get $n) (local.get $limit)))
        (local.set $count (i32.add (local.get $count) (call $is_prime (local.get $n))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (if (i32.eqz (i32.rem_u (local.get $n) (local.get $step)))
          (then (br_if $stop (i32.eqz (call $progress (local.get $n) (local.get $count))))))
        (br $next)))
    (local.get $count)))
