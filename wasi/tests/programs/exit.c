// Exits with the status given as its first argument from three calls
// deep; an atexit handler writes (buffered) output first.
#include <stdio.h>
#include <stdlib.h>

static void bye(void) { printf("bye\n"); }

static void deep(int n, int status) {
  if (n == 0) exit(status);
  deep(n - 1, status);
  printf("never\n");
}

int main(int argc, char **argv) {
  atexit(bye);
  printf("exiting with %s\n", argc > 1 ? argv[1] : "0");
  deep(3, argc > 1 ? atoi(argv[1]) : 0);
  return 99;
}
