/* One training per run directory. RUN/lock carries a POSIX record lock for the life of the
 * run and the holder's pid (for the message only). The kernel drops the lock when its
 * process ends, however it ends: a run killed with SIGKILL never leaves a stale lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/err.h"
#include "runtime/train.h"

/* The pid written by the lock's holder, or 0 when it cannot be read. */
static long holder_pid(int fd)
{
    char b[32];
    ssize_t n = pread(fd, b, sizeof b - 1, 0);
    if (n <= 0)
        return 0;
    b[n] = 0;
    return strtol(b, NULL, 10);
}

/* Temporary files of atomic writes (NAME.tmp.PID[.K]) that a killed run left in RUN/ckpt.
 * Only the lock's holder writes there, so none of them can still be in use. */
static void remove_stale_tmp(const char *run_dir)
{
    char dir[4200], p[4600];
    snprintf(dir, sizeof dir, "%s/ckpt", run_dir);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".tmp.")) {
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
    closedir(d);
}

int gan_run_lock(const char *run_dir, char *err, size_t errlen)
{
    char path[4200];
    if (gan_mkdirs(run_dir, err, errlen))
        return -1;
    snprintf(path, sizeof path, "%s/lock", run_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return gan_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        int e = errno;
        long pid = holder_pid(fd);
        close(fd);
        if (e == EACCES || e == EAGAIN) {
            if (pid > 0)
                return gan_errf(err, errlen, "%s is in use by another ganrt train (pid %ld); "
                                "wait for it to end or choose another --out", run_dir, pid);
            return gan_errf(err, errlen, "%s is in use by another ganrt train; wait for it "
                            "to end or choose another --out", run_dir);
        }
        return gan_errf(err, errlen, "%s: cannot lock: %s", path, strerror(e));
    }
    char b[32];
    int n = snprintf(b, sizeof b, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, b, (size_t)n, 0) != n) {
        int e = errno;
        close(fd);
        return gan_errf(err, errlen, "%s: cannot write: %s", path, strerror(e));
    }
    remove_stale_tmp(run_dir);
    return fd;
}

void gan_run_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}
