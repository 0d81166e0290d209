// files: what a program does with files as data, through wasi-libc. Reads
// /data/input.txt, writes /data/out/{upper.txt,lines.txt,tmp.txt}, makes
// directories, lists one (sorted), renames and deletes files, reads a file
// it unlinked while open, and prints what it did and the errors it met.
//
// Build: clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all
//        files.c -o files.wasm
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *result(int ok) { return ok ? "ok" : strerror(errno); }

static void put(const char *path, const char *data) {
    FILE *f = fopen(path, "w");
    if (!f) {
        printf("fopen %s: %s\n", path, strerror(errno));
        return;
    }
    fputs(data, f);
    fclose(f);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        printf("opendir %s: %s\n", dir, strerror(errno));
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    printf("%s:\n", dir);
    for (int i = 0; i < n; i++) {
        char path[256];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (lstat(path, &st) != 0) {
            printf("  %s: %s\n", names[i], strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            printf("  %s/\n", names[i]);
        } else if (S_ISLNK(st.st_mode)) {
            char target[64];
            ssize_t len = readlink(path, target, sizeof target);
            printf("  %s -> %.*s\n", names[i], (int)(len < 0 ? 0 : len), target);
        } else {
            printf("  %s (%lld bytes, %d links)\n", names[i], (long long)st.st_size, (int)st.st_nlink);
        }
        free(names[i]);
    }
}

int main(void) {
    // Read the input.
    FILE *in = fopen("/data/input.txt", "r");
    if (!in) {
        printf("fopen input: %s\n", strerror(errno));
        return 1;
    }
    char text[4096];
    size_t len = fread(text, 1, sizeof text - 1, in);
    text[len] = 0;
    fclose(in);
    int lines = 0;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    printf("read %zu bytes, %d lines\n", len, lines);

    // Write results in a new directory.
    printf("mkdir out: %s\n", result(mkdir("/data/out", 0755) == 0));
    printf("mkdir out again: %s\n", result(mkdir("/data/out", 0755) == 0));
    for (size_t i = 0; i < len; i++) text[i] = toupper((unsigned char)text[i]);
    put("/data/out/upper.txt", text);
    char count[32];
    snprintf(count, sizeof count, "%d lines\n", lines);
    put("/data/out/lines.txt", count);
    put("/data/out/tmp.txt", "temporary\n");
    printf("mkdir out/sub: %s\n", result(mkdir("/data/out/sub", 0755) == 0));
    printf("symlink: %s\n", result(symlink("upper.txt", "/data/out/latest") == 0));
    printf("link: %s\n", result(link("/data/out/lines.txt", "/data/out/sub/lines-again.txt") == 0));
    list("/data/out");

    // Rename and delete.
    printf("rename upper: %s\n", result(rename("/data/out/upper.txt", "/data/out/UPPER.txt") == 0));
    printf("rename input: %s\n", result(rename("/data/input.txt", "/data/out/sub/input.txt") == 0));
    printf("unlink tmp: %s\n", result(unlink("/data/out/tmp.txt") == 0));
    printf("unlink tmp again: %s\n", result(unlink("/data/out/tmp.txt") == 0));
    printf("rmdir out: %s\n", result(rmdir("/data/out") == 0));
    printf("rmdir keep: %s\n", result(rmdir("/data/keep") == 0));
    printf("unlink keep/old.txt: %s\n", result(unlink("/data/keep/old.txt") == 0));
    printf("rmdir keep: %s\n", result(rmdir("/data/keep") == 0));
    printf("open latest: %s\n", result(open("/data/out/latest", O_RDONLY) >= 0));
    printf("open outside: %s\n", result(open("/data/../etc/passwd", O_RDONLY) >= 0));
    printf("mkdir in /ro: %s\n", result(mkdir("/ro/x", 0755) == 0));
    list("/data/out");

    // A file unlinked while open can still be read.
    int fd = open("/data/out/UPPER.txt", O_RDONLY);
    printf("unlink open UPPER.txt: %s\n", result(unlink("/data/out/UPPER.txt") == 0));
    char back[16] = {0};
    ssize_t got = read(fd, back, 10);
    printf("read it back: %zd '%s'\n", got, back);
    close(fd);

    // Append to a file and seek.
    fd = open("/data/out/lines.txt", O_WRONLY | O_APPEND);
    write(fd, "and more\n", 9);
    printf("size after append: %lld\n", (long long)lseek(fd, 0, SEEK_END));
    close(fd);
    list("/data/out/sub");
    return 0;
}
