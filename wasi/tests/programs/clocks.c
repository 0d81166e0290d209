// Checks the clocks, sleeping, randomness and sched_yield; prints only
// facts that hold on every machine.
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static uint64_t ns(clockid_t id) {
  struct timespec ts;
  if (clock_gettime(id, &ts) != 0) return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(void) {
  uint64_t t0 = ns(CLOCK_MONOTONIC);
  uint64_t r = ns(CLOCK_REALTIME);
  printf("realtime after 2020: %d\n", r > 1577836800ull * 1000000000ull);
  struct timespec res;
  printf("monotonic resolution ok: %d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && (res.tv_sec > 0 || res.tv_nsec > 0));
  struct timespec sleep = {0, 50 * 1000 * 1000};
  nanosleep(&sleep, NULL);
  uint64_t slept = ns(CLOCK_MONOTONIC) - t0;
  printf("slept at least 50 ms: %d\n", slept >= 50ull * 1000 * 1000);
  printf("slept less than 5 s: %d\n", slept < 5000ull * 1000 * 1000);
  unsigned char a[32], b[32];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  printf("random: %d %d\n", getentropy(a, sizeof a), getentropy(b, sizeof b));
  printf("random differs: %d\n", memcmp(a, b, sizeof a) != 0);
  printf("sched_yield: %d\n", sched_yield());
  return 0;
}
