// File-system paths and their errors in a preopened directory (/data):
// each operation's result and errno, printed, so that two engines can be
// compared line by line. Leaves a known tree behind.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *what, int rc) {
  printf("%-44s %s\n", what, rc < 0 ? strerror(errno) : "ok");
  errno = 0;
}

#define TRY(expr) show(#expr, (expr))

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n < 0 ? -1 : 0;
}

static int read_file(const char *path) {
  char buf[64];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  printf("  %s holds \"%s\"\n", path, buf);
  return 0;
}

static void list(const char *path) {
  DIR *d = opendir(path);
  if (!d) { show("opendir", -1); return; }
  struct dirent *e;
  char *names[64];
  int n = 0;
  while ((e = readdir(d)) && n < 64) names[n++] = strdup(e->d_name);
  closedir(d);
  // Sorted, so that the order does not depend on the file system.
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (strcmp(names[i], names[j]) > 0) { char *t = names[i]; names[i] = names[j]; names[j] = t; }
  printf("  %s:", path);
  for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
  printf("\n");
}

int main(void) {
  struct stat st;
  TRY(mkdir("/data/dir", 0755));
  TRY(mkdir("/data/dir", 0755));
  TRY(write_file("/data/dir/a.txt", "alpha"));
  TRY(write_file("/data/dir/a.txt/", "x"));
  TRY(open("/data/dir/a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644));
  TRY(open("/data/dir/a.txt", O_RDONLY | O_DIRECTORY));
  TRY(open("/data/missing/x", O_RDONLY));
  TRY(open("/data/dir", O_WRONLY));
  TRY(read_file("/data/dir/a.txt"));
  TRY(symlink("a.txt", "/data/dir/link"));
  TRY(read_file("/data/dir/link"));
  TRY(open("/data/dir/link", O_RDONLY | O_NOFOLLOW));
  TRY(symlink("nowhere", "/data/dir/dangling"));
  TRY(stat("/data/dir/dangling", &st));
  TRY(lstat("/data/dir/dangling", &st));
  TRY(symlink("loop2", "/data/dir/loop1"));
  TRY(symlink("loop1", "/data/dir/loop2"));
  TRY(open("/data/dir/loop1", O_RDONLY));
  char target[64];
  ssize_t n = readlink("/data/dir/link", target, sizeof target - 1);
  if (n >= 0) { target[n] = 0; printf("  link -> %s\n", target); }
  TRY((int)readlink("/data/dir/a.txt", target, sizeof target));
  TRY(mkdir("/data/dir/sub", 0755));
  TRY(write_file("/data/dir/sub/b.txt", "beta"));
  TRY(rmdir("/data/dir/sub"));
  TRY(unlink("/data/dir/sub"));
  TRY(mkdir("/data/empty", 0755));
  TRY(rename("/data/dir/sub", "/data/empty"));
  TRY(rename("/data/dir/a.txt", "/data/dir/a2.txt"));
  TRY(rename("/data/dir/a2.txt", "/data/empty"));
  TRY(rename("/data/empty", "/data/dir/a2.txt"));
  TRY(link("/data/dir/a2.txt", "/data/dir/hard"));
  TRY(stat("/data/dir/hard", &st));
  printf("  hard: size %lld, nlink %llu\n", (long long)st.st_size, (unsigned long long)st.st_nlink);
  TRY(unlink("/data/dir/loop1"));
  TRY(unlink("/data/dir/loop2"));
  TRY(truncate("/data/dir/hard", 3));
  TRY(read_file("/data/dir/a2.txt"));
  TRY(open("/data/../etc/passwd", O_RDONLY));
  TRY(open("/etc/passwd", O_RDONLY));
  TRY(symlink("/etc/passwd", "/data/dir/abs"));
  TRY(open("/data/dir/abs", O_RDONLY));
  TRY(symlink("../../outside", "/data/dir/up"));
  TRY(open("/data/dir/up", O_RDONLY));
  int fd = open("/data/dir/a2.txt", O_RDONLY);
  close(fd);
  char c;
  TRY((int)read(fd, &c, 1));
  TRY(close(fd));
  list("/data");
  list("/data/dir");
  return 0;
}
