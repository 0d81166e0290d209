// The errno of fd operations on bad or unsuitable descriptors, straight
// from the WASI functions.
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

// wasi-libc no longer declares it; the import still exists.
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
int32_t raw_proc_raise(int32_t signal);

#define SHOW(expr) printf("%-52s %d\n", #expr, (int)(expr))

int main(void) {
  char buf[16];
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
  __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
  __wasi_size_t n;
  __wasi_filesize_t pos;
  __wasi_fdstat_t st;
  __wasi_prestat_t pre;
  SHOW(__wasi_fd_read(99, &iov, 1, &n));
  SHOW(__wasi_fd_write(99, &ciov, 1, &n));
  SHOW(__wasi_fd_write(0, &ciov, 1, &n));
  SHOW(__wasi_fd_read(1, &iov, 1, &n));
  SHOW(__wasi_fd_seek(1, 0, __WASI_WHENCE_SET, &pos));
  SHOW(__wasi_fd_tell(1, &pos));
  SHOW(__wasi_fd_close(99));
  SHOW(__wasi_fd_fdstat_get(99, &st));
  SHOW(__wasi_fd_prestat_get(1, &pre));
  SHOW(__wasi_fd_prestat_get(99, &pre));
  SHOW(__wasi_fd_renumber(99, 1));
  SHOW(__wasi_fd_sync(99));
  SHOW(raw_proc_raise(6));
  SHOW(__wasi_sock_shutdown(1, __WASI_SDFLAGS_RD));
  SHOW(__wasi_sock_shutdown(99, __WASI_SDFLAGS_RD));
  __wasi_fd_t accepted;
  SHOW(__wasi_sock_accept(1, 0, &accepted));
  __wasi_event_t ev;
  __wasi_subscription_t sub;
  memset(&sub, 0, sizeof sub);
  SHOW(__wasi_poll_oneoff(&sub, &ev, 0, &n));
  SHOW(__wasi_fd_fdstat_get(1, &st));
  printf("stdout filetype %d, flags %d\n", st.fs_filetype, st.fs_flags);
  return 0;
}
