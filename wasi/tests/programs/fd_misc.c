// The fd functions the other programs do not reach: advice, allocation,
// syncing, flags (append), rights, positioned reads and writes, renumber,
// and the socket calls on a file, each with its errno.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#define SHOW(expr) printf("%-60s %d\n", #expr, (int)(expr))

int main(void) {
  int fd = open("/data/f.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  printf("open: %d\n", fd >= 0);
  __wasi_ciovec_t c1 = {(const uint8_t *)"hello", 5};
  __wasi_size_t n = 0;
  __wasi_filesize_t pos = 0;
  SHOW(__wasi_fd_write(fd, &c1, 1, &n));
  SHOW(__wasi_fd_advise(fd, 0, 5, __WASI_ADVICE_SEQUENTIAL));
  SHOW(__wasi_fd_allocate(fd, 0, 100));
  SHOW(__wasi_fd_datasync(fd));
  SHOW(__wasi_fd_sync(fd));
  // Positioned writes and reads leave the position alone.
  __wasi_ciovec_t c2 = {(const uint8_t *)"J", 1};
  SHOW(__wasi_fd_pwrite(fd, &c2, 1, 0, &n));
  SHOW(__wasi_fd_tell(fd, &pos));
  printf("position %llu\n", (unsigned long long)pos);
  char buf[16];
  memset(buf, 0, sizeof buf);
  __wasi_iovec_t io = {(uint8_t *)buf, 3};
  SHOW(__wasi_fd_pread(fd, &io, 1, 1, &n));
  printf("pread \"%s\" (%lu)\n", buf, (unsigned long)n);
  SHOW(__wasi_fd_seek(fd, -2, __WASI_WHENCE_END, &pos));
  printf("seek to %llu\n", (unsigned long long)pos);
  SHOW(__wasi_fd_seek(fd, -10, __WASI_WHENCE_CUR, &pos));
  // Append mode: writes go to the end whatever the position.
  SHOW(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
  SHOW(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  __wasi_ciovec_t c3 = {(const uint8_t *)"!", 1};
  SHOW(__wasi_fd_write(fd, &c3, 1, &n));
  __wasi_fdstat_t st;
  SHOW(__wasi_fd_fdstat_get(fd, &st));
  printf("filetype %d, flags %d\n", st.fs_filetype, st.fs_flags);
  SHOW(__wasi_fd_fdstat_set_flags(fd, 0));
  // Rights may only shrink.
  SHOW(__wasi_fd_fdstat_set_rights(fd, st.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE, 0));
  SHOW(__wasi_fd_fdstat_set_rights(fd, st.fs_rights_base, 0));
  // Sockets: a file is none.
  __wasi_size_t len = 0;
  __wasi_roflags_t ro = 0;
  SHOW(__wasi_sock_recv(fd, &io, 1, 0, &len, &ro));
  SHOW(__wasi_sock_send(fd, &c1, 1, 0, &len));
  SHOW(__wasi_sock_recv(99, &io, 1, 0, &len, &ro));
  // Renumber onto another open fd closes that one.
  int other = open("/data/g.txt", O_WRONLY | O_CREAT, 0644);
  printf("second open: %d\n", other >= 0);
  SHOW(__wasi_fd_renumber(fd, other));
  SHOW(__wasi_fd_close(fd));
  memset(buf, 0, sizeof buf);
  io.buf_len = sizeof buf - 1;
  SHOW(__wasi_fd_pread(other, &io, 1, 0, &n));
  printf("via the new number: \"%s\"\n", buf);
  SHOW(__wasi_fd_close(other));
  return 0;
}
