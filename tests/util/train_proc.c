/* Process and directory helpers for the training-runtime tests. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/util/train_util.h"

int train_spawn(char *const argv[], char *out, size_t outlen)
{
    int pfd[2];
    if (pipe(pfd))
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(pfd[1]);
    size_t got = 0;
    char sink[4096];
    for (;;) {
        char *dst = got + 1 < outlen ? out + got : sink;
        size_t cap = got + 1 < outlen ? outlen - 1 - got : sizeof sink;
        ssize_t r = read(pfd[0], dst, cap);
        if (r <= 0)
            break;
        if (dst != sink)
            got += (size_t)r;
    }
    if (outlen)
        out[got] = 0;
    close(pfd[0]);
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

char *train_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/gantrain.XXXXXX", t && *t ? t : "/tmp");
    char *d = mkdtemp(buf);
    return d ? strdup(d) : NULL;
}

void train_rmrf(const char *path)
{
    if (!path || !*path || !strcmp(path, "/"))
        return;
    char *argv[] = {"rm", "-rf", (char *)path, NULL};
    char out[256];
    train_spawn(argv, out, sizeof out);
}

const char *train_tool(const char *env, const char *dflt)
{
    const char *g = getenv(env);
    return g && *g ? g : dflt;
}
