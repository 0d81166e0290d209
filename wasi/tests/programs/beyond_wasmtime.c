// What wasmbeam does where wasmtime 50 traps or refuses, on purpose:
// pointers outside memory give EFAULT (wasmtime traps), an unknown clock
// or advice, or unknown flag bits give EINVAL (wasmtime traps on the
// invalid value), the CPU-time clocks work (wasmtime
// refuses them), and an exit status of 126 to 255 is kept (wasmtime traps).
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <wasi/api.h>

#define SHOW(expr) printf("%s = %d\n", #expr, (int)(expr))

int main(int argc, char **argv) {
  __wasi_size_t n;
  __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
  __wasi_timestamp_t t;
  SHOW(__wasi_fd_fdstat_get(1, (__wasi_fdstat_t *)0xfffffff0));
  SHOW(__wasi_fd_write(1, (const __wasi_ciovec_t *)0xfffffff0, 1, &n));
  SHOW(__wasi_fd_write(1, &ciov, 0x20000000, &n));
  SHOW(__wasi_fd_write(1, &ciov, 1, (__wasi_size_t *)0xfffffffd));
  SHOW(__wasi_random_get((uint8_t *)0xfffffff0, 100));
  SHOW(__wasi_args_sizes_get((__wasi_size_t *)0xfffffffe, &n));
  SHOW(__wasi_clock_time_get(99, 0, &t));
  SHOW(__wasi_fd_advise(1, 0, 0, 99));
  SHOW(__wasi_fd_fdstat_set_flags(1, 0x100));
  SHOW(__wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 0, &t) == 0 && t > 0);
  SHOW(__wasi_clock_time_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, 0, &t) == 0 && t > 0);
  fflush(stdout);
  exit(argc > 1 ? atoi(argv[1]) : 0);
}
