// Prints its arguments and environment, sorted, then exits with argc.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++) printf("argv[%d] = \"%s\"\n", i, argv[i]);
  int n = 0;
  while (environ[n]) n++;
  char **sorted = malloc(sizeof(char *) * (n + 1));
  memcpy(sorted, environ, sizeof(char *) * n);
  qsort(sorted, n, sizeof(char *), cmp);
  for (int i = 0; i < n; i++) printf("env: %s\n", sorted[i]);
  const char *g = getenv("GREETING");
  printf("GREETING is %s\n", g ? g : "unset");
  return argc;
}
