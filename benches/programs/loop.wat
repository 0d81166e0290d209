;; Worst case for loop-header fuel: a counting loop whose body is one add
;; (plus the counter), about a cycle per iteration without reductions, so a
;; per-iteration fuel update is as large a fraction of the work as it gets.
;; run(n) = 1 + 2 + ... + n, wrapping at 2^32.
(module
  (func (export "run") (param $n i32) (result i32)
    (local $sum i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $top
        (local.set $sum (i32.add (local.get $sum) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_if $top (local.get $n))))
    (local.get $sum)))
