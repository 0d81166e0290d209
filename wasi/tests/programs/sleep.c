// Sleeps for the milliseconds given as its first argument (poll_oneoff
// with a clock), then says so.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  long ms = argc > 1 ? atol(argv[1]) : 0;
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  int rc = nanosleep(&t, NULL);
  printf("slept %ld ms: %d\n", ms, rc);
  return 0;
}
