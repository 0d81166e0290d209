/* A WASI program that works in the preopened directory /data: it creates,
 * writes, reads, lists, renames, links and removes files and directories,
 * prints the errno of each edge case (trailing slashes, O_NOFOLLOW,
 * O_DIRECTORY, O_EXCL, symlink loops, non-empty directories, paths that
 * lead out of the directory), and leaves:
 *   /data/result.txt        "hello, world\nmore\n" cut to 17 bytes, plus "!"
 *   /data/dir/renamed.txt   "renamed\n"
 *   /data/dir/hard.txt      a hard link to renamed.txt
 * If /ro is preopened too (read-only), it checks that nothing there can be
 * changed.
 *
 * Built with: clang-14 --target=wasm32-wasi --sysroot=/usr -O2
 *   -Wl,--strip-all host_fs.c -o host_fs.wasm
 * Its output is the same under wasmtime and wasmbeam. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *ename(int e) {
    switch (e) {
    case 0: return "ok";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ELOOP: return "ELOOP";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case EXDEV: return "EXDEV";
    case ENOTSUP: return "ENOTSUP";
    default: return strerror(e);
    }
}

/* Runs `expr` (a call returning -1 on failure) and prints its errno. */
#define CHECK(what, expr)                                                \
    do {                                                                 \
        errno = 0;                                                       \
        long r_ = (long)(expr);                                          \
        printf("%-44s %s\n", what, r_ < 0 ? ename(errno) : "ok");        \
    } while (0)

/* Opens and closes `path`; -1 with errno on failure. */
static int try_open(const char *path, int flags) {
    int fd = open(path, flags, 0644);
    if (fd >= 0) close(fd);
    return fd < 0 ? -1 : 0;
}

static void write_file(const char *path, const char *data) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data)) {
        printf("write %s: %s\n", path, ename(errno));
        exit(1);
    }
    close(fd);
}

static void print_file(const char *path) {
    char buf[256];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (n < 0) {
        printf("read %s: %s\n", path, ename(errno));
        return;
    }
    buf[n] = 0;
    printf("%s holds %zd bytes: \"", path, n);
    for (ssize_t i = 0; i < n; i++) putchar(buf[i] == '\n' ? '|' : buf[i]);
    printf("\"\n");
    close(fd);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists `path` sorted by name, with each entry's type. */
static void list(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir %s: %s\n", path, ename(errno));
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        char t = e->d_type == DT_DIR ? 'd' : e->d_type == DT_REG ? 'f' : e->d_type == DT_LNK ? 'l' : '?';
        char *s = malloc(strlen(e->d_name) + 3);
        sprintf(s, "%s%c", e->d_name, t);
        names[n++] = s;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    printf("%s:", path);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        printf(" %.*s(%c)", (int)len - 1, names[i], names[i][len - 1]);
        free(names[i]);
    }
    printf("\n");
}

static void read_only(void) {
    DIR *d = opendir("/ro");
    if (!d) return;
    closedir(d);
    printf("-- /ro (read-only)\n");
    print_file("/ro/keep.txt");
    CHECK("open for writing", try_open("/ro/keep.txt", O_WRONLY));
    CHECK("open with O_TRUNC", try_open("/ro/keep.txt", O_RDONLY | O_TRUNC));
    CHECK("create", try_open("/ro/new.txt", O_CREAT | O_WRONLY));
    CHECK("mkdir", mkdir("/ro/newdir", 0755));
    CHECK("unlink", unlink("/ro/keep.txt"));
    CHECK("rename", rename("/ro/keep.txt", "/ro/moved.txt"));
    CHECK("rename out of it", rename("/ro/keep.txt", "/data/stolen.txt"));
    CHECK("symlink", symlink("keep.txt", "/ro/link"));
    CHECK("link", link("/ro/keep.txt", "/ro/hard.txt"));
    struct timespec times[2] = {{1, 0}, {2, 0}};
    CHECK("utimensat", utimensat(AT_FDCWD, "/ro/keep.txt", times, 0));
    CHECK("stat", stat("/ro/keep.txt", &(struct stat){0}));
    list("/ro");
}

int main(void) {
    struct stat st;
    char buf[64];

    printf("-- files\n");
    CHECK("mkdir dir", mkdir("/data/dir", 0755));
    write_file("/data/a.txt", "hello, world\n");
    print_file("/data/a.txt");
    int fd = open("/data/a.txt", O_WRONLY | O_APPEND);
    CHECK("append", write(fd, "more\n", 5));
    close(fd);
    fd = open("/data/a.txt", O_RDWR);
    ssize_t n = pread(fd, buf, 5, 7);
    printf("pread 5 at 7: %zd \"%.5s\"\n", n, buf);
    printf("lseek end: %lld\n", (long long)lseek(fd, 0, SEEK_END));
    CHECK("ftruncate 17", ftruncate(fd, 17));
    CHECK("pwrite at 17", pwrite(fd, "!", 1, 17));
    CHECK("fstat", fstat(fd, &st));
    printf("size %lld, regular %d, nlink %llu\n", (long long)st.st_size, S_ISREG(st.st_mode), (unsigned long long)st.st_nlink);
    CHECK("fsync", fsync(fd));
    CHECK("fdatasync", fdatasync(fd));
    printf("posix_fallocate: %s\n", ename(posix_fallocate(fd, 0, 100)));
    close(fd);
    print_file("/data/a.txt");
    write_file("/data/b.txt", "renamed\n");
    list("/data");

    printf("-- renames and links\n");
    CHECK("rename a.txt result.txt", rename("/data/a.txt", "/data/result.txt"));
    CHECK("rename b.txt dir/renamed.txt", rename("/data/b.txt", "/data/dir/renamed.txt"));
    CHECK("stat a.txt", stat("/data/a.txt", &st));
    CHECK("link", link("/data/dir/renamed.txt", "/data/dir/hard.txt"));
    CHECK("stat dir/hard.txt", stat("/data/dir/hard.txt", &st));
    printf("nlink %llu\n", (unsigned long long)st.st_nlink);
    CHECK("mkdir e1", mkdir("/data/e1", 0755));
    CHECK("mkdir e2", mkdir("/data/e2", 0755));
    CHECK("rename dir over empty dir", rename("/data/e1", "/data/e2"));
    CHECK("rename dir over non-empty dir", rename("/data/e2", "/data/dir"));
    CHECK("rename file over dir", rename("/data/result.txt", "/data/e2"));
    CHECK("rename dir over file", rename("/data/e2", "/data/result.txt"));
    CHECK("rmdir e2", rmdir("/data/e2"));
    struct timespec times[2] = {{1000, 5}, {2000, 7}};
    CHECK("utimensat", utimensat(AT_FDCWD, "/data/dir/renamed.txt", times, 0));
    CHECK("stat", stat("/data/dir/renamed.txt", &st));
    printf("atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);

    printf("-- errors\n");
    CHECK("open missing", try_open("/data/missing", O_RDONLY));
    CHECK("open O_CREAT|O_EXCL existing", try_open("/data/result.txt", O_CREAT | O_EXCL | O_WRONLY));
    CHECK("open file/ (trailing slash)", try_open("/data/result.txt/", O_RDONLY));
    CHECK("open O_DIRECTORY on a file", try_open("/data/result.txt", O_RDONLY | O_DIRECTORY));
    CHECK("open a directory for writing", try_open("/data/dir", O_WRONLY));
    CHECK("open missing/x with O_CREAT", try_open("/data/missing/x", O_CREAT | O_WRONLY));
    CHECK("stat file/", stat("/data/result.txt/", &st));
    CHECK("mkdir existing", mkdir("/data/dir", 0755));
    CHECK("rmdir non-empty", rmdir("/data/dir"));
    CHECK("rmdir a file", rmdir("/data/result.txt"));
    CHECK("unlink a directory", unlink("/data/dir"));
    CHECK("unlink missing", unlink("/data/missing"));
    CHECK("symlink dir/link", symlink("renamed.txt", "/data/dir/link"));
    CHECK("open link O_NOFOLLOW", try_open("/data/dir/link", O_RDONLY | O_NOFOLLOW));
    CHECK("open link", try_open("/data/dir/link", O_RDONLY));
    n = readlink("/data/dir/link", buf, sizeof buf);
    printf("readlink: %.*s\n", n < 0 ? 0 : (int)n, buf);
    CHECK("readlink a file", readlink("/data/result.txt", buf, sizeof buf));
    CHECK("symlink loop1", symlink("loop2", "/data/loop1"));
    CHECK("symlink loop2", symlink("loop1", "/data/loop2"));
    CHECK("open a symlink loop", try_open("/data/loop1", O_RDONLY));
    CHECK("symlink dangling", symlink("nowhere", "/data/dangling"));
    CHECK("stat dangling", stat("/data/dangling", &st));
    CHECK("lstat dangling", lstat("/data/dangling", &st));
    printf("lstat dangling is a symlink: %d\n", S_ISLNK(st.st_mode));

    printf("-- escapes\n");
    CHECK("open ../", try_open("/data/../etc/passwd", O_RDONLY));
    CHECK("open dir/../../", try_open("/data/dir/../../etc/passwd", O_RDONLY));
    CHECK("create ../", try_open("/data/../escaped.txt", O_CREAT | O_WRONLY));
    CHECK("mkdir ../", mkdir("/data/../escaped", 0755));
    CHECK("open /etc/passwd (no preopen)", try_open("/etc/passwd", O_RDONLY));
    CHECK("symlink to /etc", symlink("/etc", "/data/abs"));
    CHECK("symlink to ../..", symlink("../..", "/data/up"));
    CHECK("open through it", try_open("/data/up/etc/passwd", O_RDONLY));
    CHECK("stat through it", stat("/data/up/etc", &st));
    CHECK("create through it", try_open("/data/up/escaped.txt", O_CREAT | O_WRONLY));
    CHECK("rename to ../", rename("/data/result.txt", "/data/../stolen.txt"));
    CHECK("rename through it", rename("/data/result.txt", "/data/up/stolen.txt"));
    CHECK("link to ../", link("/data/result.txt", "/data/../stolen.txt"));

    printf("-- cleanup\n");
    CHECK("unlink up", unlink("/data/up"));
    CHECK("unlink loop1", unlink("/data/loop1"));
    CHECK("unlink loop2", unlink("/data/loop2"));
    CHECK("unlink dangling", unlink("/data/dangling"));
    CHECK("unlink dir/link", unlink("/data/dir/link"));
    list("/data");
    list("/data/dir");
    print_file("/data/result.txt");
    read_only();
    return 0;
}
