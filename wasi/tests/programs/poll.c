// poll_oneoff with clocks (relative and absolute) and stdin: sleeps, and
// waits for input with a timeout.
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static long long ms_since(struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1000LL + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  // An absolute deadline 30 ms from now (TIMER_ABSTIME).
  struct timespec until = t0;
  until.tv_nsec += 30 * 1000000;
  if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
  int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
  printf("absolute sleep: rc %d, >= 30 ms: %d\n", rc, ms_since(&t0) >= 30);
  // Two clocks at once: the earlier one fires.
  __wasi_subscription_t subs[2];
  memset(subs, 0, sizeof subs);
  subs[0].userdata = 7;
  subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[0].u.u.clock.timeout = 5000000000ull;
  subs[1].userdata = 8;
  subs[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[1].u.u.clock.timeout = 20000000ull;
  __wasi_event_t events[2];
  __wasi_size_t n = 0;
  rc = __wasi_poll_oneoff(subs, events, 2, &n);
  printf("two clocks: rc %d, %lu event(s), first userdata %llu\n", rc, n, (unsigned long long)events[0].userdata);
  // A zero timeout is ready at once.
  subs[0].u.u.clock.timeout = 0;
  rc = __wasi_poll_oneoff(subs, events, 1, &n);
  printf("zero timeout: rc %d, %lu event(s), error %d\n", rc, n, events[0].error);
  // Stdin with a timeout: whatever stdin holds (it ends at once here).
  struct pollfd p = {0, POLLIN, 0};
  rc = poll(&p, 1, 100);
  printf("poll stdin: rc %d\n", rc);
  char buf[64];
  ssize_t got = read(0, buf, sizeof buf);
  printf("read stdin: %zd\n", got);
  printf("total >= 50 ms: %d\n", ms_since(&t0) >= 50);
  return 0;
}
