// Call-heavy recursion: the classic doubly recursive Fibonacci.
// run(n) = fib(n), computed with about 1.6^n calls.
// noinline keeps every call a real call; clang still turns one of the two
// recursive calls into a loop (accumulator tail recursion), which is fine:
// the other one stays, so the program is dominated by calls and returns.

__attribute__((noinline)) static unsigned fib(unsigned n) {
    if (n < 2) return n;
    return fib(n - 1) + fib(n - 2);
}

__attribute__((export_name("run"))) unsigned run(unsigned n) { return fib(n); }
