// errno_probe: prints the errno (or result) of raw WASI calls on corner
// cases of path resolution and file-system semantics, one per line, so
// that two runtimes can be compared line by line.
//
// fd 3: a writable preopen holding only the symlinks abs_host -> /,
// absf_host -> /etc/passwd and absd_host -> /tmp (which lead outside);
// fd 4: a read-only preopen holding r.txt ("read only") and the empty
// directory rd. The probe builds the rest of its fixture itself.
//
// Build: clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all
//        errno_probe.c -o errno_probe.wasm
// Its output under wasmtime on Linux (wasmtime_oracle.py) is
// errno_probe.wasmtime.txt.
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define RW (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_ALLOCATE)
#define RO (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_READDIR)
#define ALL ((((__wasi_rights_t)1) << 29) - 1)
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static int D = 3, R = 4;

static void show(const char *label, int e) { printf("%s: %d\n", label, e); }

static int op(int dir, int follow, const char *path, int oflags, __wasi_rights_t rights, __wasi_fd_t *out) {
    __wasi_fd_t fd = 0;
    int e = __wasi_path_open(dir, follow ? FOLLOW : 0, path, oflags, rights, ALL, 0, &fd);
    if (out) *out = fd; else if (!e) (void)__wasi_fd_close(fd);
    return e;
}

static void mkfile(const char *path, const char *data) {
    __wasi_fd_t fd;
    int e = op(D, 1, path, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RW, &fd);
    if (e) { show(path, e); return; }
    __wasi_ciovec_t iov = { (const uint8_t *)data, strlen(data) };
    __wasi_size_t n;
    (void)__wasi_fd_write(fd, &iov, 1, &n);
    (void)__wasi_fd_close(fd);
}

static int ftype(int dir, int follow, const char *path) {
    __wasi_filestat_t st;
    int e = __wasi_path_filestat_get(dir, follow ? FOLLOW : 0, path, &st);
    return e ? -e : st.filetype;
}

static long long fsize(int dir, const char *path) {
    __wasi_filestat_t st;
    int e = __wasi_path_filestat_get(dir, FOLLOW, path, &st);
    return e ? -e : (long long)st.size;
}

static int nlink(int dir, const char *path) {
    __wasi_filestat_t st;
    int e = __wasi_path_filestat_get(dir, 0, path, &st);
    return e ? -e : (int)st.nlink;
}

static void readlink_show(const char *label, const char *path) {
    char buf[64];
    __wasi_size_t n = 0;
    int e = __wasi_path_readlink(D, path, (uint8_t *)buf, sizeof buf, &n);
    if (e) show(label, e); else printf("%s: '%.*s'\n", label, (int)n, buf);
}

static void read_show(const char *label, int dir, const char *path) {
    __wasi_fd_t fd;
    int e = op(dir, 1, path, 0, RO, &fd);
    if (e) { show(label, e); return; }
    char buf[64];
    __wasi_iovec_t iov = { (uint8_t *)buf, sizeof buf };
    __wasi_size_t n = 0;
    e = __wasi_fd_read(fd, &iov, 1, &n);
    (void)__wasi_fd_close(fd);
    if (e) show(label, e); else printf("%s: '%.*s'\n", label, (int)n, buf);
}

int main(void) {
    // The fixture.
    show("mkdir d", __wasi_path_create_directory(D, "d"));
    show("mkdir e", __wasi_path_create_directory(D, "e"));
    show("mkdir d/sub", __wasi_path_create_directory(D, "d/sub"));
    mkfile("a.txt", "hello");
    mkfile("d/f", "in d");
    show("symlink l", __wasi_path_symlink("a.txt", D, "l"));
    show("symlink dl", __wasi_path_symlink("d", D, "dl"));
    show("symlink dangle", __wasi_path_symlink("nothere", D, "dangle"));
    show("symlink loop1", __wasi_path_symlink("loop2", D, "loop1"));
    show("symlink loop2", __wasi_path_symlink("loop1", D, "loop2"));
    show("symlink up", __wasi_path_symlink("..", D, "up"));
    show("symlink up2", __wasi_path_symlink("../..", D, "up2"));
    show("symlink abs", __wasi_path_symlink("/", D, "abs"));
    show("symlink absf", __wasi_path_symlink("/a.txt", D, "absf"));
    show("symlink d/back", __wasi_path_symlink("../a.txt", D, "d/back"));
    show("symlink d/chain", __wasi_path_symlink("../l", D, "d/chain"));
    show("symlink slash", __wasi_path_symlink("a.txt/", D, "slash"));

    // path_open.
    show("open ''", op(D, 1, "", 0, RO, 0));
    show("open nothere", op(D, 1, "nothere", 0, RO, 0));
    show("open /a.txt", op(D, 1, "/a.txt", 0, RO, 0));
    show("open ../x", op(D, 1, "../x", 0, RO, 0));
    show("open ..", op(D, 1, "..", 0, RO, 0));
    show("open d/../a.txt", op(D, 1, "d/../a.txt", 0, RO, 0));
    show("open d/../../x", op(D, 1, "d/../../x", 0, RO, 0));
    show("open d/../../d", op(D, 1, "d/../../d", 0, RO, 0));
    show("open ./a.txt", op(D, 1, "./a.txt", 0, RO, 0));
    show("open .", op(D, 1, ".", 0, RO, 0));
    show("open d//f", op(D, 1, "d//f", 0, RO, 0));
    show("open a.txt/", op(D, 1, "a.txt/", 0, RO, 0));
    show("open a.txt/.", op(D, 1, "a.txt/.", 0, RO, 0));
    show("open d/", op(D, 1, "d/", 0, RO, 0));
    show("open a.txt O_DIRECTORY", op(D, 1, "a.txt", __WASI_OFLAGS_DIRECTORY, RO, 0));
    show("open d O_DIRECTORY", op(D, 1, "d", __WASI_OFLAGS_DIRECTORY, RO, 0));
    show("open d write", op(D, 1, "d", 0, RW, 0));
    show("open d O_TRUNC", op(D, 1, "d", __WASI_OFLAGS_TRUNC, RW, 0));
    show("open d O_CREAT", op(D, 1, "d", __WASI_OFLAGS_CREAT, RW, 0));
    show("open d O_CREAT|O_DIRECTORY", op(D, 1, "d", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_DIRECTORY, RO, 0));
    show("open new O_CREAT|O_DIRECTORY", op(D, 1, "newd", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_DIRECTORY, RO, 0));
    show("open a.txt O_CREAT|O_EXCL", op(D, 1, "a.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW, 0));
    show("open d O_CREAT|O_EXCL", op(D, 1, "d", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW, 0));
    show("open l nofollow", op(D, 0, "l", 0, RO, 0));
    show("open l follow", op(D, 1, "l", 0, RO, 0));
    show("open dl nofollow", op(D, 0, "dl", 0, RO, 0));
    show("open dl/ nofollow", op(D, 0, "dl/", 0, RO, 0));
    show("open dl/f nofollow", op(D, 0, "dl/f", 0, RO, 0));
    show("open l O_CREAT|O_EXCL", op(D, 1, "l", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW, 0));
    show("open dangle", op(D, 1, "dangle", 0, RO, 0));
    show("open dangle O_CREAT|O_EXCL", op(D, 1, "dangle", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW, 0));
    show("open dangle O_CREAT nofollow", op(D, 0, "dangle", __WASI_OFLAGS_CREAT, RW, 0));
    show("open dangle O_CREAT", op(D, 1, "dangle", __WASI_OFLAGS_CREAT, RW, 0));
    show("stat nothere after", ftype(D, 0, "nothere"));
    show("open loop1", op(D, 1, "loop1", 0, RO, 0));
    show("open loop1 nofollow", op(D, 0, "loop1", 0, RO, 0));
    show("open loop1/x", op(D, 0, "loop1/x", 0, RO, 0));
    show("open up", op(D, 1, "up", 0, RO, 0));
    show("open up/a.txt", op(D, 1, "up/a.txt", 0, RO, 0));
    show("open up2", op(D, 1, "up2", 0, RO, 0));
    show("open abs", op(D, 1, "abs", 0, RO, 0));
    show("open absf", op(D, 1, "absf", 0, RO, 0));
    show("open abs nofollow", op(D, 0, "abs", 0, RO, 0));
    read_show("read d/back", D, "d/back");
    read_show("read d/chain", D, "d/chain");
    read_show("read dl/f", D, "dl/f");
    show("open slash", op(D, 1, "slash", 0, RO, 0));
    show("open a.txt/x", op(D, 1, "a.txt/x", 0, RO, 0));
    show("open nothere/x", op(D, 1, "nothere/x", 0, RO, 0));
    show("open newf/ O_CREAT", op(D, 1, "newf/", __WASI_OFLAGS_CREAT, RW, 0));
    show("open nothere/x O_CREAT", op(D, 1, "nothere/x", __WASI_OFLAGS_CREAT, RW, 0));
    show("open ../x O_CREAT", op(D, 1, "../x", __WASI_OFLAGS_CREAT, RW, 0));
    show("open up/x O_CREAT", op(D, 1, "up/x", __WASI_OFLAGS_CREAT, RW, 0));
    show("open a.txt O_TRUNC", op(D, 1, "a.txt", __WASI_OFLAGS_TRUNC, RW, 0));
    show("size a.txt", (int)fsize(D, "a.txt"));
    mkfile("a.txt", "hello");

    // stat.
    show("stat l nofollow", ftype(D, 0, "l"));
    show("stat l follow", ftype(D, 1, "l"));
    show("stat dangle follow", ftype(D, 1, "dangle"));
    show("stat loop1 follow", ftype(D, 1, "loop1"));
    show("stat loop1 nofollow", ftype(D, 0, "loop1"));
    show("stat a.txt/", ftype(D, 0, "a.txt/"));
    show("stat l/ nofollow", ftype(D, 0, "l/"));
    show("stat dl/ nofollow", ftype(D, 0, "dl/"));
    show("stat ''", ftype(D, 0, ""));
    show("stat .", ftype(D, 0, "."));
    show("stat ..", ftype(D, 0, ".."));
    show("stat d/..", ftype(D, 0, "d/.."));
    show("stat up nofollow", ftype(D, 0, "up"));
    show("stat up follow", ftype(D, 1, "up"));
    show("stat /", ftype(D, 1, "/"));

    // create_directory.
    show("mkdir d again", __wasi_path_create_directory(D, "d"));
    show("mkdir a.txt", __wasi_path_create_directory(D, "a.txt"));
    show("mkdir l", __wasi_path_create_directory(D, "l"));
    show("mkdir dangle", __wasi_path_create_directory(D, "dangle"));
    show("mkdir nothere/x", __wasi_path_create_directory(D, "nothere/x"));
    show("mkdir a.txt/x", __wasi_path_create_directory(D, "a.txt/x"));
    show("mkdir ''", __wasi_path_create_directory(D, ""));
    show("mkdir .", __wasi_path_create_directory(D, "."));
    show("mkdir ../x", __wasi_path_create_directory(D, "../x"));
    show("mkdir /x", __wasi_path_create_directory(D, "/x"));
    show("mkdir n1/", __wasi_path_create_directory(D, "n1/"));
    show("mkdir dl/n2", __wasi_path_create_directory(D, "dl/n2"));

    // remove_directory.
    show("rmdir d", __wasi_path_remove_directory(D, "d"));
    show("rmdir a.txt", __wasi_path_remove_directory(D, "a.txt"));
    show("rmdir nothere", __wasi_path_remove_directory(D, "nothere"));
    show("rmdir dl", __wasi_path_remove_directory(D, "dl"));
    show("rmdir dl/", __wasi_path_remove_directory(D, "dl/"));
    show("rmdir .", __wasi_path_remove_directory(D, "."));
    show("rmdir ''", __wasi_path_remove_directory(D, ""));
    show("rmdir e/", __wasi_path_remove_directory(D, "e/"));
    show("rmdir n1", __wasi_path_remove_directory(D, "n1"));
    show("rmdir d/n2", __wasi_path_remove_directory(D, "d/n2"));
    show("rmdir d/sub/..", __wasi_path_remove_directory(D, "d/sub/.."));

    // unlink_file.
    mkfile("u1", "x");
    show("unlink d", __wasi_path_unlink_file(D, "d"));
    show("unlink dl/", __wasi_path_unlink_file(D, "dl/"));
    show("unlink a.txt/", __wasi_path_unlink_file(D, "a.txt/"));
    show("unlink l/", __wasi_path_unlink_file(D, "l/"));
    show("unlink nothere", __wasi_path_unlink_file(D, "nothere"));
    show("unlink ''", __wasi_path_unlink_file(D, ""));
    show("unlink .", __wasi_path_unlink_file(D, "."));
    show("unlink u1", __wasi_path_unlink_file(D, "u1"));
    show("symlink tmpl", __wasi_path_symlink("d", D, "tmpl"));
    show("unlink tmpl", __wasi_path_unlink_file(D, "tmpl"));
    show("stat d after", ftype(D, 0, "d"));

    // readlink.
    readlink_show("readlink l", "l");
    readlink_show("readlink abs", "abs");
    readlink_show("readlink a.txt", "a.txt");
    readlink_show("readlink d", "d");
    readlink_show("readlink nothere", "nothere");
    readlink_show("readlink l/", "l/");
    readlink_show("readlink dl/", "dl/");
    readlink_show("readlink dl/back", "dl/back");
    readlink_show("readlink ''", "");
    {
        char buf[2];
        __wasi_size_t n = 0;
        int e = __wasi_path_readlink(D, "l", (uint8_t *)buf, 2, &n);
        printf("readlink l short: %d %d\n", e, (int)n);
    }

    // symlink.
    show("symlink over a.txt", __wasi_path_symlink("x", D, "a.txt"));
    show("symlink over d", __wasi_path_symlink("x", D, "d"));
    show("symlink over l", __wasi_path_symlink("x", D, "l"));
    show("symlink over dangle", __wasi_path_symlink("x", D, "dangle"));
    show("symlink nothere/x", __wasi_path_symlink("x", D, "nothere/x"));
    show("symlink ''", __wasi_path_symlink("x", D, ""));
    show("symlink target ''", __wasi_path_symlink("", D, "emptyt"));
    show("symlink s/", __wasi_path_symlink("x", D, "s/"));
    show("symlink ../s", __wasi_path_symlink("x", D, "../s"));

    // link.
    show("link a.txt a2", __wasi_path_link(D, 0, "a.txt", D, "a2"));
    show("nlink a.txt", nlink(D, "a.txt"));
    show("link d d2", __wasi_path_link(D, 0, "d", D, "d2"));
    show("link a.txt d", __wasi_path_link(D, 0, "a.txt", D, "d"));
    show("link a.txt a2 again", __wasi_path_link(D, 0, "a.txt", D, "a2"));
    show("link nothere x", __wasi_path_link(D, 0, "nothere", D, "x"));
    show("link l l2", __wasi_path_link(D, 0, "l", D, "l2"));
    show("stat l2", ftype(D, 0, "l2"));
    show("link l l3 follow", __wasi_path_link(D, FOLLOW, "l", D, "l3"));
    show("stat l3", ftype(D, 0, "l3"));
    show("link a.txt x/", __wasi_path_link(D, 0, "a.txt", D, "x/"));
    show("link a.txt/ x", __wasi_path_link(D, 0, "a.txt/", D, "x"));
    show("link a.txt ../x", __wasi_path_link(D, 0, "a.txt", D, "../x"));
    show("link a.txt nothere/x", __wasi_path_link(D, 0, "a.txt", D, "nothere/x"));
    show("link dangle dl2", __wasi_path_link(D, 0, "dangle", D, "dl2"));

    // rename.
    mkfile("r1", "one");
    mkfile("r2", "two");
    show("rename r1 r2", __wasi_path_rename(D, "r1", D, "r2"));
    read_show("read r2", D, "r2");
    show("stat r1", ftype(D, 0, "r1"));
    show("rename r2 r2", __wasi_path_rename(D, "r2", D, "r2"));
    show("rename a.txt a2 (same inode)", __wasi_path_rename(D, "a.txt", D, "a2"));
    show("stat a.txt after", ftype(D, 0, "a.txt"));
    show("mkdir ra", __wasi_path_create_directory(D, "ra"));
    show("mkdir rb", __wasi_path_create_directory(D, "rb"));
    show("rename ra rb (empty)", __wasi_path_rename(D, "ra", D, "rb"));
    show("stat ra", ftype(D, 0, "ra"));
    show("rename rb d (nonempty)", __wasi_path_rename(D, "rb", D, "d"));
    show("rename r2 d (file over dir)", __wasi_path_rename(D, "r2", D, "d"));
    show("rename rb r2 (dir over file)", __wasi_path_rename(D, "rb", D, "r2"));
    show("rename d d/sub/x", __wasi_path_rename(D, "d", D, "d/sub/x"));
    show("rename d d/x", __wasi_path_rename(D, "d", D, "d/x"));
    show("rename d/sub d", __wasi_path_rename(D, "d/sub", D, "d"));
    show("rename nothere x", __wasi_path_rename(D, "nothere", D, "x"));
    show("rename r2 nothere/x", __wasi_path_rename(D, "r2", D, "nothere/x"));
    show("rename r2 x/", __wasi_path_rename(D, "r2", D, "x/"));
    show("rename r2/ x", __wasi_path_rename(D, "r2/", D, "x"));
    show("rename rb rc/", __wasi_path_rename(D, "rb", D, "rc/"));
    show("rename rc/ rb", __wasi_path_rename(D, "rc/", D, "rb"));
    show("rename . x", __wasi_path_rename(D, ".", D, "x"));
    show("rename rb .", __wasi_path_rename(D, "rb", D, "."));
    show("rename rb ..", __wasi_path_rename(D, "rb", D, ".."));
    show("rename r2 ../x", __wasi_path_rename(D, "r2", D, "../x"));
    show("rename '' x", __wasi_path_rename(D, "", D, "x"));
    show("rename r2 ''", __wasi_path_rename(D, "r2", D, ""));
    show("rename l lx", __wasi_path_rename(D, "l", D, "lx"));
    show("stat lx", ftype(D, 0, "lx"));
    show("rename lx l", __wasi_path_rename(D, "lx", D, "l"));
    show("rename dl d/dl", __wasi_path_rename(D, "dl", D, "d/dl"));
    show("rename d/dl dl", __wasi_path_rename(D, "d/dl", D, "dl"));
    show("rename r2 e/r2", __wasi_path_rename(D, "r2", D, "e/r2"));
    show("rename e/r2 dl/r2", __wasi_path_rename(D, "e/r2", D, "dl/r2"));
    read_show("read d/r2", D, "d/r2");

    // Open files live on.
    {
        __wasi_fd_t fd;
        mkfile("gone", "still here");
        show("open gone", op(D, 1, "gone", 0, RW, &fd));
        show("unlink gone", __wasi_path_unlink_file(D, "gone"));
        char buf[32];
        __wasi_iovec_t iov = { (uint8_t *)buf, sizeof buf };
        __wasi_size_t n = 0;
        int e = __wasi_fd_pread(fd, &iov, 1, 0, &n);
        printf("read gone: %d '%.*s'\n", e, (int)n, buf);
        __wasi_filestat_t st;
        e = __wasi_fd_filestat_get(fd, &st);
        printf("fstat gone: %d nlink %d size %d\n", e, (int)st.nlink, (int)st.size);
        (void)__wasi_fd_close(fd);
    }

    // Sizes.
    {
        __wasi_fd_t fd;
        show("open big", op(D, 1, "big", __WASI_OFLAGS_CREAT, RW, &fd));
        __wasi_ciovec_t iov = { (const uint8_t *)"x", 1 };
        __wasi_size_t n = 0;
        show("pwrite at 10", __wasi_fd_pwrite(fd, &iov, 1, 10, &n));
        show("size big", (int)fsize(D, "big"));
        char buf[16];
        __wasi_iovec_t riov = { (uint8_t *)buf, sizeof buf };
        int e = __wasi_fd_pread(fd, &riov, 1, 0, &n);
        printf("pread big: %d %d [%d %d]\n", e, (int)n, buf[0], buf[10]);
        e = __wasi_fd_pread(fd, &riov, 1, 100, &n);
        printf("pread past end: %d %d\n", e, (int)n);
        show("set_size 3", __wasi_fd_filestat_set_size(fd, 3));
        show("size big", (int)fsize(D, "big"));
        show("set_size 2^63", __wasi_fd_filestat_set_size(fd, (__wasi_filesize_t)1 << 63));
        show("set_size max", __wasi_fd_filestat_set_size(fd, (__wasi_filesize_t)-1));
        show("pwrite at 2^63", __wasi_fd_pwrite(fd, &iov, 1, (__wasi_filesize_t)1 << 63, &n));
        show("pwrite at max", __wasi_fd_pwrite(fd, &iov, 1, (__wasi_filesize_t)-1, &n));
        show("size big", (int)fsize(D, "big"));
        (void)__wasi_fd_close(fd);
        show("unlink big", __wasi_path_unlink_file(D, "big"));
    }

    // The read-only preopen.
    read_show("ro read r.txt", R, "r.txt");
    show("ro open r.txt write", op(R, 1, "r.txt", 0, RW, 0));
    show("ro open r.txt O_TRUNC", op(R, 1, "r.txt", __WASI_OFLAGS_TRUNC, RO, 0));
    show("ro open new O_CREAT", op(R, 1, "new", __WASI_OFLAGS_CREAT, RW, 0));
    show("ro open new O_CREAT ro", op(R, 1, "new", __WASI_OFLAGS_CREAT, RO, 0));
    show("ro open nothere", op(R, 1, "nothere", 0, RO, 0));
    show("ro mkdir x", __wasi_path_create_directory(R, "x"));
    show("ro mkdir rd", __wasi_path_create_directory(R, "rd"));
    show("ro rmdir rd", __wasi_path_remove_directory(R, "rd"));
    show("ro unlink r.txt", __wasi_path_unlink_file(R, "r.txt"));
    show("ro unlink nothere", __wasi_path_unlink_file(R, "nothere"));
    show("ro symlink", __wasi_path_symlink("r.txt", R, "s"));
    show("ro link", __wasi_path_link(R, 0, "r.txt", R, "r2"));
    show("ro link to rw", __wasi_path_link(R, 0, "r.txt", D, "fromro"));
    show("ro rename", __wasi_path_rename(R, "r.txt", R, "r2"));
    show("ro rename to rw", __wasi_path_rename(R, "r.txt", D, "fromro2"));
    show("ro set_times_at", __wasi_path_filestat_set_times(R, 0, "r.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    show("ro stat r.txt", ftype(R, 0, "r.txt"));
    show("ro stat ..", ftype(R, 0, ".."));
    {
        __wasi_fd_t fd;
        show("ro open rd with write rights", op(R, 1, "rd", __WASI_OFLAGS_DIRECTORY, ALL, 0));
        show("ro open r.txt", op(R, 1, "r.txt", 0, RO, &fd));
        show("ro fd_filestat_set_times", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
        (void)__wasi_fd_close(fd);
    }
    show("rw set_times_at", __wasi_path_filestat_set_times(D, 0, "a2", 5, 7000000000ll, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_ATIM));
    {
        __wasi_filestat_t st;
        int e = __wasi_path_filestat_get(D, 0, "a2", &st);
        printf("times a2: %d %lld %lld\n", e, (long long)st.atim, (long long)st.mtim);
    }

    // More corners.
    show("open d/.", op(D, 1, "d/.", 0, RO, 0));
    show("open d/..", op(D, 1, "d/..", 0, RO, 0));
    show("open . write", op(D, 1, ".", 0, RW, 0));
    show("open . O_CREAT|O_EXCL", op(D, 1, ".", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW, 0));
    show("open d O_DIRECTORY write", op(D, 1, "d", __WASI_OFLAGS_DIRECTORY, RW, 0));
    show("open l nofollow O_DIRECTORY", op(D, 0, "l", __WASI_OFLAGS_DIRECTORY, RO, 0));
    show("open dl nofollow O_DIRECTORY", op(D, 0, "dl", __WASI_OFLAGS_DIRECTORY, RO, 0));
    show("open l nofollow O_CREAT", op(D, 0, "l", __WASI_OFLAGS_CREAT, RW, 0));
    show("open l O_CREAT", op(D, 1, "l", __WASI_OFLAGS_CREAT, RW, 0));
    show("open nothere/", op(D, 1, "nothere/", 0, RO, 0));
    show("open dl/.. nofollow", op(D, 0, "dl/..", 0, RO, 0));
    show("open a.txt O_CREAT|O_TRUNC ro-rights", op(D, 1, "e/t", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RO, 0));
    show("open abs_host", op(D, 1, "abs_host", 0, RO, 0));
    show("open abs_host nofollow", op(D, 0, "abs_host", 0, RO, 0));
    show("open absf_host", op(D, 1, "absf_host", 0, RO, 0));
    show("open absd_host/x", op(D, 1, "absd_host/x", 0, RO, 0));
    show("open absd_host/x O_CREAT", op(D, 1, "absd_host/x", __WASI_OFLAGS_CREAT, RW, 0));
    show("stat abs_host nofollow", ftype(D, 0, "abs_host"));
    show("stat abs_host follow", ftype(D, 1, "abs_host"));
    readlink_show("readlink abs_host", "abs_host");
    
    show("stat d/sub/../..", ftype(D, 0, "d/sub/../.."));
    show("stat dl/../..", ftype(D, 0, "dl/../.."));
    show("stat dl/..", ftype(D, 0, "dl/.."));
    show("nlink d", nlink(D, "d"));
    show("nlink .", nlink(D, "."));
    show("size l", (int)fsize(D, "l") );
    {
        __wasi_filestat_t st;
        int e = __wasi_path_filestat_get(D, 0, "l", &st);
        printf("lstat l size: %d %d\n", e, (int)st.size);
    }
    show("mkdir d/sub/", __wasi_path_create_directory(D, "d/sub/x/"));
    show("rmdir d/sub/x/", __wasi_path_remove_directory(D, "d/sub/x/"));
    show("rmdir d/sub/x", __wasi_path_remove_directory(D, "d/sub/x"));
    show("unlink d/", __wasi_path_unlink_file(D, "d/"));
    show("unlink a.txt/.", __wasi_path_unlink_file(D, "a.txt/."));
    show("unlink d/sub/..", __wasi_path_unlink_file(D, "d/sub/.."));
    show("link a.txt l", __wasi_path_link(D, 0, "a.txt", D, "l"));
    show("link d/ x", __wasi_path_link(D, 0, "d/", D, "x"));
    show("link dl dlh", __wasi_path_link(D, 0, "dl", D, "dlh"));
    show("stat dlh", ftype(D, 0, "dlh"));
    show("unlink dlh", __wasi_path_unlink_file(D, "dlh"));
    show("link . x", __wasi_path_link(D, 0, ".", D, "x"));
    show("link a.txt .", __wasi_path_link(D, 0, "a.txt", D, "."));
    show("mkdir rx", __wasi_path_create_directory(D, "rx"));
    show("rename rx l (dir over symlink)", __wasi_path_rename(D, "rx", D, "l"));
    show("rename dl e (symlink over dir)", __wasi_path_rename(D, "dl", D, "e"));
    show("rename rx/ a.txt", __wasi_path_rename(D, "rx/", D, "a.txt"));
    show("rename dl/ x", __wasi_path_rename(D, "dl/", D, "x"));
    show("rename rx rx/y", __wasi_path_rename(D, "rx", D, "rx/y"));
    show("rename d/sub d/sub", __wasi_path_rename(D, "d/sub", D, "d/sub"));
    show("rename d/sub/.. x", __wasi_path_rename(D, "d/sub/..", D, "x"));
    show("rename rx d/sub/..", __wasi_path_rename(D, "rx", D, "d/sub/.."));
    show("rename rx e/", __wasi_path_rename(D, "rx", D, "e/"));
    show("stat rx", ftype(D, 0, "rx"));
    show("rename e rx", __wasi_path_rename(D, "e", D, "rx"));
    show("rename dangle dg2", __wasi_path_rename(D, "dangle", D, "dg2"));
    show("unlink dangle/", __wasi_path_unlink_file(D, "dg2/"));
    show("unlink dg2", __wasi_path_unlink_file(D, "dg2"));
    show("set_times_at l nofollow", __wasi_path_filestat_set_times(D, 0, "l", 1, 2, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_ATIM));
    show("set_times_at loop1 follow", __wasi_path_filestat_set_times(D, FOLLOW, "loop1", 1, 2, __WASI_FSTFLAGS_MTIM));
    show("set_times_at nothere", __wasi_path_filestat_set_times(D, 0, "nothere", 1, 2, __WASI_FSTFLAGS_MTIM));
    show("set_times_at a.txt/", __wasi_path_filestat_set_times(D, 0, "a.txt/", 1, 2, __WASI_FSTFLAGS_MTIM));
    show("set_times_at ..", __wasi_path_filestat_set_times(D, 0, "..", 1, 2, __WASI_FSTFLAGS_MTIM));
    {
        __wasi_filestat_t st;
        int e = __wasi_path_filestat_get(D, FOLLOW, "l", &st);
        printf("times l follow: %d %lld\n", e, (long long)st.mtim);
    }
    {
        // Listing an empty directory and d.
        __wasi_fd_t fd;
        show("open rx", op(D, 1, "rx", __WASI_OFLAGS_DIRECTORY, RO, &fd));
        uint8_t buf[512];
        __wasi_size_t used = 0;
        int e = __wasi_fd_readdir(fd, buf, sizeof buf, 0, &used);
        printf("readdir rx: %d", e);
        for (size_t at = 0; at + sizeof(__wasi_dirent_t) <= used;) {
            __wasi_dirent_t *d = (__wasi_dirent_t *)(buf + at);
            printf(" %.*s(%d)", (int)d->d_namlen, (char *)(d + 1), d->d_type);
            at += sizeof(__wasi_dirent_t) + d->d_namlen;
        }
        printf("\n");
        (void)__wasi_fd_close(fd);
        show("ro open rd ro", op(R, 1, "rd", __WASI_OFLAGS_DIRECTORY, RO | __WASI_RIGHTS_PATH_CREATE_DIRECTORY | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | __WASI_RIGHTS_PATH_OPEN, &fd));
        show("ro rd mkdir (ro rights)", __wasi_path_create_directory(fd, "x"));
        show("ro rd fd_filestat_set_times (ro rights)", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
        show("ro rd open .. ", op(fd, 1, "..", 0, RO, 0));
        (void)__wasi_fd_close(fd);
    }

    // Dots as the last component, and creation with a trailing slash.
    show("rmdir ..", __wasi_path_remove_directory(D, ".."));
    show("unlink ..", __wasi_path_unlink_file(D, ".."));
    show("mkdir ..", __wasi_path_create_directory(D, ".."));
    show("symlink x ..", __wasi_path_symlink("x", D, ".."));
    show("symlink x d/..", __wasi_path_symlink("x", D, "d/.."));
    show("symlink x a.txt/", __wasi_path_symlink("x", D, "a.txt/"));
    show("symlink x d/", __wasi_path_symlink("x", D, "d/"));
    show("link a.txt ..", __wasi_path_link(D, 0, "a.txt", D, ".."));
    show("link a.txt d/", __wasi_path_link(D, 0, "a.txt", D, "d/"));
    readlink_show("readlink ..", "..");
    readlink_show("readlink .", ".");
    show("rename .. x", __wasi_path_rename(D, "..", D, "x"));
    show("open .. O_CREAT", op(D, 1, "..", __WASI_OFLAGS_CREAT, RW, 0));
    show("open a.txt/ O_CREAT", op(D, 1, "a.txt/", __WASI_OFLAGS_CREAT, RW, 0));
    show("open d/ O_CREAT", op(D, 1, "d/", __WASI_OFLAGS_CREAT, RW, 0));
    show("open d/ O_CREAT|O_EXCL", op(D, 1, "d/", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW, 0));
    show("open a.txt/ O_CREAT|O_EXCL", op(D, 1, "a.txt/", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW, 0));
    show("open nothere O_DIRECTORY", op(D, 1, "nothere", __WASI_OFLAGS_DIRECTORY, RO, 0));

    // Name and path lengths.
    {
        char name[300], path[5000];
        memset(name, 'n', 256); name[256] = 0;
        show("open 256-byte name", op(D, 1, name, 0, RO, 0));
        show("mkdir 256-byte name", __wasi_path_create_directory(D, name));
        name[255] = 0;
        show("mkdir 255-byte name", __wasi_path_create_directory(D, name));
        show("rmdir 255-byte name", __wasi_path_remove_directory(D, name));
        for (int i = 0; i < 2400; i++) { path[2 * i] = '.'; path[2 * i + 1] = '/'; }
        path[4800] = 0;
        show("stat 4800-byte path", ftype(D, 0, path));
        path[4095] = 0;
        show("stat 4095-byte path", ftype(D, 0, path));
        path[4095] = '/';
        path[4096] = 0;
        show("stat 4096-byte path", ftype(D, 0, path));
    }

    // Symlink chains: 40 links are followed, the 41st is ELOOP.
    {
        char name[16], target[16];
        show("symlink c0", __wasi_path_symlink("a2", D, "c0"));
        for (int i = 1; i <= 41; i++) {
            snprintf(name, sizeof name, "c%d", i);
            snprintf(target, sizeof target, "c%d", i - 1);
            (void)__wasi_path_symlink(target, D, name);
        }
        show("stat c39 follow (40 links)", ftype(D, 1, "c39"));
        show("stat c40 follow (41 links)", ftype(D, 1, "c40"));
        show("open c39/ (40 links)", op(D, 1, "c39/", 0, RO, 0));
        show("stat c39/x", ftype(D, 1, "c39/x"));
        for (int i = 0; i <= 41; i++) {
            snprintf(name, sizeof name, "c%d", i);
            (void)__wasi_path_unlink_file(D, name);
        }
    }

    // A directory fd is the root of its own paths.
    {
        __wasi_fd_t dfd;
        show("open d as dir", op(D, 1, "d", __WASI_OFLAGS_DIRECTORY, RO | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_FILESTAT_GET | __WASI_RIGHTS_PATH_CREATE_DIRECTORY | __WASI_RIGHTS_PATH_REMOVE_DIRECTORY, &dfd));
        read_show("d fd: read back (-> ../a.txt)", dfd, "back");
        read_show("d fd: read f", dfd, "f");
        show("d fd: stat ..", ftype(dfd, 0, ".."));
        show("d fd: stat sub/../..", ftype(dfd, 0, "sub/../.."));
        show("d fd: mkdir gone", __wasi_path_create_directory(dfd, "gone"));
        __wasi_fd_t gfd;
        show("d fd: open gone", op(dfd, 1, "gone", __WASI_OFLAGS_DIRECTORY, RO | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_CREATE_DIRECTORY | __WASI_RIGHTS_PATH_FILESTAT_GET | __WASI_RIGHTS_PATH_CREATE_FILE, &gfd));
        show("d fd: rmdir gone", __wasi_path_remove_directory(dfd, "gone"));
        show("removed dir: mkdir in it", __wasi_path_create_directory(gfd, "x"));
        show("removed dir: create in it", op(gfd, 1, "x", __WASI_OFLAGS_CREAT, RW, 0));
        show("removed dir: stat .", ftype(gfd, 0, "."));
        show("removed dir: stat ..", ftype(gfd, 0, ".."));
        uint8_t buf[256];
        __wasi_size_t used = 99;
        show("removed dir: readdir", __wasi_fd_readdir(gfd, buf, sizeof buf, 0, &used));
        printf("removed dir: readdir used %d\n", (int)used);
        __wasi_filestat_t st;
        int e = __wasi_fd_filestat_get(gfd, &st);
        printf("removed dir: fstat %d nlink %d\n", e, (int)st.nlink);
        (void)__wasi_fd_close(gfd);
        (void)__wasi_fd_close(dfd);
    }

    // Rename over an open file; hard links.
    {
        __wasi_fd_t fd;
        mkfile("victim", "old data");
        mkfile("winner", "new data");
        show("open victim", op(D, 1, "victim", 0, RO, &fd));
        show("rename winner victim", __wasi_path_rename(D, "winner", D, "victim"));
        char buf[32];
        __wasi_iovec_t iov = { (uint8_t *)buf, sizeof buf };
        __wasi_size_t n = 0;
        int e = __wasi_fd_pread(fd, &iov, 1, 0, &n);
        printf("read open victim: %d '%.*s'\n", e, (int)n, buf);
        (void)__wasi_fd_close(fd);
        read_show("read victim", D, "victim");
        show("link victim v2", __wasi_path_link(D, 0, "victim", D, "v2"));
        show("unlink victim", __wasi_path_unlink_file(D, "victim"));
        show("nlink v2", nlink(D, "v2"));
        read_show("read v2", D, "v2");
    }

    // Appending.
    {
        __wasi_fd_t fd;
        mkfile("log", "one\n");
        int e = __wasi_path_open(D, FOLLOW, "log", 0, RW, ALL, __WASI_FDFLAGS_APPEND, &fd);
        show("open log append", e);
        __wasi_ciovec_t iov = { (const uint8_t *)"two\n", 4 };
        __wasi_size_t n = 0;
        __wasi_filesize_t pos = 0;
        show("seek log 0", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
        show("write log", __wasi_fd_write(fd, &iov, 1, &n));
        (void)__wasi_fd_close(fd);
        read_show("read log", D, "log");
    }
    return 0;
}
