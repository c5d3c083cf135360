/*
 * A fault injector for the script tests. Loaded with LD_PRELOAD into the
 * real headcount binary, it makes chosen system calls fail the way a sick
 * disk or file system does, which a test cannot otherwise arrange:
 *
 *   HC_FAULT_DIR_FSYNC=1      fsync of a directory fails with EIO
 *   HC_FAULT_RENAME_TO=NAME   a rename or renameat whose new path ends in
 *                             the component NAME fails with EIO
 *   HC_FAULT_CLOCK_FILE=PATH  time() is the real time plus the signed
 *                             number of seconds in PATH, read at every
 *                             call (no file or no number: no shift), so a
 *                             test moves the wall clock of a running
 *                             daemon by rewriting the file
 *   HC_FAULT_MMAP_FILE=1      mmap of a file fails with ENODEV, as on a
 *                             file system that cannot map files (some
 *                             FUSE and 9p mounts); anonymous maps work
 *
 * Any other call goes to the C library. headcount calls these functions
 * directly, so the interposed symbols are the ones it reaches (time() also
 * where libcurl and OpenSSL call it; their monotonic clocks are left alone).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static bool env_on(const char *name)
{
    const char *v = getenv(name);
    return v && strcmp(v, "1") == 0;
}

static bool rename_fails(const char *newpath)
{
    const char *name = getenv("HC_FAULT_RENAME_TO");
    if (!name || !*name || !newpath)
        return false;
    const char *base = strrchr(newpath, '/');
    return strcmp(base ? base + 1 : newpath, name) == 0;
}

int fsync(int fd)
{
    static int (*real)(int);
    struct stat st;
    if (env_on("HC_FAULT_DIR_FSYNC") && fstat(fd, &st) == 0 &&
        S_ISDIR(st.st_mode)) {
        errno = EIO;
        return -1;
    }
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "fsync");
    return real(fd);
}

int rename(const char *oldpath, const char *newpath)
{
    static int (*real)(const char *, const char *);
    if (rename_fails(newpath)) {
        errno = EIO;
        return -1;
    }
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "rename");
    return real(oldpath, newpath);
}

int renameat(int olddirfd, const char *oldpath, int newdirfd,
             const char *newpath)
{
    static int (*real)(int, const char *, int, const char *);
    if (rename_fails(newpath)) {
        errno = EIO;
        return -1;
    }
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "renameat");
    return real(olddirfd, oldpath, newdirfd, newpath);
}

/* The shift in HC_FAULT_CLOCK_FILE, or 0. No stdio and no allocation:
 * time() may be called anywhere, also where those would not be safe; and
 * errno is left as it was, since time() never sets it. */
static long long clock_shift(void)
{
    const char *path = getenv("HC_FAULT_CLOCK_FILE");
    if (!path || !*path)
        return 0;
    int saved = errno;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = -1;
    char buf[32];
    if (fd >= 0) {
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
    }
    long long v = 0;
    if (n > 0) {
        buf[n] = '\0';
        v = strtoll(buf, NULL, 10); /* no number: 0 */
    }
    errno = saved;
    return v;
}

/* The real mmap is reached through the system call, not dlsym: the
 * allocator maps memory while dlsym runs, which would come back here. */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!(flags & MAP_ANONYMOUS) && fd >= 0 && env_on("HC_FAULT_MMAP_FILE")) {
        errno = ENODEV;
        return MAP_FAILED;
    }
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    return r == -1 ? MAP_FAILED : (void *)r;
}

time_t time(time_t *out)
{
    struct timespec ts;
    /* The real wall clock: clock_gettime, which nothing here replaces. */
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t t = ts.tv_sec + (time_t)clock_shift();
    if (out)
        *out = t;
    return t;
}
