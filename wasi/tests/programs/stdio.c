// Copies stdin to stdout in upper case, a chunk at a time; reports the
// bytes and lines seen on stderr; exits with the line count.
#include <ctype.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  char buf[7];  // small on purpose: many reads
  long bytes = 0, lines = 0;
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] == '\n') lines++;
      buf[i] = (char)toupper((unsigned char)buf[i]);
    }
    if (write(1, buf, (size_t)n) != n) return 100;
    bytes += n;
  }
  if (n < 0) { perror("read"); return 101; }
  fprintf(stderr, "%ld bytes, %ld lines\n", bytes, lines);
  return (int)lines;
}
