/* common/bytes: the little-endian codec, the bounds-checked reader, CRC-32, whole-file reading
 * and atomic file replacement that model.bin and checkpoints share. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/bytes.h"

/* ---- helpers ---- */

static char *make_tmpdir(void)
{
    char *d = strdup("/tmp/gan_bytes_XXXXXX");
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* The tests only ever make flat files and one level of directories. */
static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[4096];
    if (!d)
        return;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) != 0)
            rm_tree(p);
    }
    closedir(d);
    rmdir(dir);
}

/* The file (up to 1 MiB) as a malloc'd, NUL-terminated string; *len its size. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    char *b = malloc(1 << 20);
    ck_assert_ptr_nonnull(b);
    *len = fread(b, 1, 1 << 20, f);
    fclose(f);
    b[*len < (1 << 20) ? *len : (1 << 20) - 1] = 0;
    return b;
}

static void write_plain(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void assert_file_is(const char *path, const char *text)
{
    size_t len;
    char *b = slurp(path, &len);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_str_eq(b, text);
    free(b);
}

/* ---- encoding ---- */

START_TEST(le_layout_is_fixed)
{
    uint8_t b[8];
    gan_le16_store(b, 0x0201);
    ck_assert(b[0] == 1 && b[1] == 2);
    gan_le32_store(b, 0x04030201u);
    ck_assert(b[0] == 1 && b[1] == 2 && b[2] == 3 && b[3] == 4);
    gan_le64_store(b, 0x0807060504030201ull);
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(b[i], (unsigned)i + 1);
    ck_assert_uint_eq(gan_le16_load(b), 0x0201);
    ck_assert_uint_eq(gan_le32_load(b), 0x04030201u);
    ck_assert(gan_le64_load(b) == 0x0807060504030201ull);
    const uint8_t hi[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    ck_assert_uint_eq(gan_le32_load(hi), 0xFFFFFFFFu); /* no sign extension */
}
END_TEST

static const float floats[3] = {1.0f, -0.0f, 3.5e-41f /* subnormal */};

/* One of everything the writer puts; read_all reads it back in the same order. */
static void put_all(gan_wbuf *w)
{
    gan_put_u8(w, 0xAB);
    gan_put_u16(w, 0xBEEF);
    gan_put_u32(w, 0xDEADBEEFu);
    gan_put_u64(w, 0x0123456789ABCDEFull);
    gan_put_i32(w, -5);
    gan_put_f32(w, -1.5f);
    gan_put_f64(w, 1.0 / 3.0);
    gan_put_f32s(w, floats, 3);
    gan_put_zeros(w, 3);
    gan_put_str(w, "abc", 16);
    gan_put_strfield(w, "name", 8);
}

#define ALL_BYTES (1 + 2 + 4 + 8 + 4 + 4 + 8 + 12 + 3 + 4 + 8)

/* Reads what put_all wrote; returns how many values came back equal. */
static int read_all(gan_rbuf *r)
{
    int ok = 0;
    ok += gan_get_u8(r) == 0xAB;
    ok += gan_get_u16(r) == 0xBEEF;
    ok += gan_get_u32(r) == 0xDEADBEEFu;
    ok += gan_get_u64(r) == 0x0123456789ABCDEFull;
    ok += gan_get_i32(r) == -5;
    ok += gan_get_f32(r) == -1.5f;
    ok += gan_get_f64(r) == 1.0 / 3.0;
    float x[3] = {7, 7, 7};
    gan_get_f32s(r, x, 3);
    ok += !memcmp(x, floats, sizeof x);
    const uint8_t *z = gan_get_bytes(r, 3);
    ok += z && !z[0] && !z[1] && !z[2];
    const uint8_t *s = gan_get_bytes(r, 4);
    ok += s && !memcmp(s, "abc", 4);
    const uint8_t *f = gan_get_bytes(r, 8);
    ok += f && !memcmp(f, "name\0\0\0\0", 8);
    return ok;
}

START_TEST(writer_reader_round_trip)
{
    gan_wbuf w = {0};
    put_all(&w);
    ck_assert(!w.failed);
    ck_assert_uint_eq(w.len, ALL_BYTES);
    /* spot checks of the bytes themselves: little-endian, IEEE bits */
    ck_assert_uint_eq(w.data[0], 0xAB);
    ck_assert(w.data[1] == 0xEF && w.data[2] == 0xBE);
    ck_assert(w.data[3] == 0xEF && w.data[6] == 0xDE);
    ck_assert_uint_eq(gan_le32_load(w.data + 15), 0xFFFFFFFBu); /* -5 */
    ck_assert_uint_eq(gan_le32_load(w.data + 19), 0xBFC00000u); /* -1.5f */
    ck_assert_uint_eq(gan_le32_load(w.data + 35), 0x80000000u); /* -0.0f keeps its sign */
    gan_rbuf r = gan_rbuf_make(w.data, w.len);
    ck_assert_int_eq(read_all(&r), 11);
    ck_assert(!r.failed);
    ck_assert_uint_eq(gan_rbuf_left(&r), 0);
    gan_wbuf_free(&w);
    ck_assert_ptr_null(w.data);
    ck_assert_uint_eq(w.len, 0);
}
END_TEST

START_TEST(strings_are_capped_and_padded)
{
    gan_wbuf w = {0};
    ck_assert_uint_eq(gan_put_str(&w, "first", 64), 0);
    ck_assert_uint_eq(gan_put_str(&w, "second-long", 6), 6); /* offset of the second string */
    ck_assert_uint_eq(w.len, 6 + 7);
    ck_assert_str_eq((const char *)w.data + 6, "second");
    size_t at = w.len;
    gan_put_strfield(&w, "0123456789", 4); /* at most width - 1 bytes: always terminated */
    ck_assert(!memcmp(w.data + at, "012\0", 4));
    gan_put_strfield(&w, "", 3);
    ck_assert(!memcmp(w.data + at + 4, "\0\0\0", 3));
    ck_assert_uint_eq(w.len, at + 7);
    gan_wbuf_free(&w);
}
END_TEST

START_TEST(writer_failure_is_sticky)
{
    gan_wbuf w = {0};
    gan_put_u32(&w, 1);
    gan_wbuf_reserve(&w, SIZE_MAX - 2); /* cannot be had */
    ck_assert(w.failed);
    size_t len = w.len;
    put_all(&w);
    ck_assert_uint_eq(w.len, len); /* every later put is a no-op */
    ck_assert_uint_eq(gan_put_str(&w, "x", 4), len);
    gan_wbuf_free(&w);
    /* an empty writer holds no buffer and an empty put makes none */
    gan_put_bytes(&w, "", 0);
    ck_assert(!w.failed);
    ck_assert_uint_eq(w.len, 0);
}
END_TEST

START_TEST(reader_refuses_truncated_input)
{
    gan_wbuf w = {0};
    put_all(&w);
    for (size_t cut = 0; cut < w.len; cut++) {
        /* an exact-size copy: ASan reports any read past it */
        uint8_t *b = malloc(cut ? cut : 1);
        ck_assert_ptr_nonnull(b);
        memcpy(b, w.data, cut);
        gan_rbuf r = gan_rbuf_make(b, cut);
        ck_assert_int_lt(read_all(&r), 11);
        ck_assert_msg(r.failed, "cut at %zu", cut);
        ck_assert_uint_le(r.pos, cut);
        /* once failed, always failed, and nothing more is consumed */
        size_t pos = r.pos;
        ck_assert_uint_eq(gan_get_u8(&r), 0);
        ck_assert_ptr_null(gan_get_bytes(&r, 0));
        ck_assert_uint_eq(r.pos, pos);
        free(b);
    }
    gan_wbuf_free(&w);
    /* a short read consumes nothing and leaves the destination alone */
    const uint8_t three[3] = {1, 2, 3};
    gan_rbuf r = gan_rbuf_make(three, 3);
    ck_assert_uint_eq(gan_get_u32(&r), 0);
    ck_assert(r.failed);
    ck_assert_uint_eq(r.pos, 0);
    float x[2] = {9, 9};
    r = gan_rbuf_make(three, 3);
    gan_get_f32s(&r, x, 1);
    ck_assert(r.failed);
    ck_assert(x[0] == 9 && x[1] == 9);
    /* a count that would overflow is refused, not wrapped */
    r = gan_rbuf_make(three, 3);
    ck_assert_ptr_null(gan_get_bytes(&r, SIZE_MAX));
    r = gan_rbuf_make(NULL, 0);
    ck_assert_ptr_nonnull(gan_get_bytes(&r, 0));
    ck_assert_uint_eq(gan_get_u16(&r), 0);
    ck_assert(r.failed);
}
END_TEST

/* ---- CRC-32 ---- */

START_TEST(crc32_known_values)
{
    ck_assert_uint_eq(gan_crc32("123456789", 9), 0xCBF43926u); /* the CRC-32 check value */
    ck_assert_uint_eq(gan_crc32("", 0), 0);
    ck_assert_uint_eq(gan_crc32(NULL, 0), 0);
    ck_assert_uint_eq(gan_crc32("The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
    /* continuing over pieces is the CRC of the whole */
    ck_assert_uint_eq(gan_crc32_update(gan_crc32("1234", 4), "56789", 5), 0xCBF43926u);
    ck_assert_uint_eq(gan_crc32_update(0xCBF43926u, NULL, 0), 0xCBF43926u);
}
END_TEST

/* ---- reading a whole file ---- */

START_TEST(read_file_whole_and_nul_terminated)
{
    char *dir = make_tmpdir(), path[4096], err[512];
    uint8_t *buf;
    size_t len;
    snprintf(path, sizeof path, "%s/data.bin", dir);
    static const char bytes[] = {'a', 0, 'b', '\n', (char)0xff};
    ck_assert_int_eq(gan_write_file_atomic(path, bytes, sizeof bytes, err, sizeof err), 0);
    ck_assert_msg(gan_read_file(path, &buf, &len, SIZE_MAX, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(len, sizeof bytes);
    ck_assert_mem_eq(buf, bytes, sizeof bytes); /* a NUL inside is data, not the end */
    ck_assert_uint_eq(buf[len], 0);             /* and one more after the last byte */
    free(buf);
    /* exactly at the limit is allowed */
    ck_assert_msg(gan_read_file(path, &buf, &len, sizeof bytes, err, sizeof err) == 0, "%s",
                  err);
    ck_assert_uint_eq(len, sizeof bytes);
    free(buf);
    /* an empty file: a real (1-byte) buffer holding the NUL, so callers need no special case */
    snprintf(path, sizeof path, "%s/empty", dir);
    write_plain(path, "");
    ck_assert_msg(gan_read_file(path, &buf, &len, 0, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_nonnull(buf);
    ck_assert_str_eq((char *)buf, "");
    free(buf);
    rm_tree(dir);
    free(dir);
}
END_TEST

START_TEST(read_file_failures_say_which)
{
    char *dir = make_tmpdir(), path[4096], want[4300], err[512];
    static uint8_t stale[1];
    uint8_t *buf = stale; /* what a failure must overwrite */
    size_t len = 7;
    /* missing: the message, and errno for callers that word it their own way */
    snprintf(path, sizeof path, "%s/missing", dir);
    errno = 0;
    ck_assert_int_eq(gan_read_file(path, &buf, &len, SIZE_MAX, err, sizeof err), GAN_READ_EOPEN);
    ck_assert_int_eq(errno, ENOENT);
    snprintf(want, sizeof want, "%s: cannot open: %s", path, strerror(ENOENT));
    ck_assert_str_eq(err, want);
    ck_assert_ptr_null(buf);
    ck_assert_uint_eq(len, 0);
    /* a directory (opens fine, is no file) */
    ck_assert_int_eq(gan_read_file(dir, &buf, &len, SIZE_MAX, err, sizeof err), GAN_READ_ENOTREG);
    snprintf(want, sizeof want, "%s: not a regular file", dir);
    ck_assert_str_eq(err, want);
    ck_assert_ptr_null(buf);
    /* a device would never end */
    ck_assert_int_eq(gan_read_file("/dev/zero", &buf, &len, SIZE_MAX, err, sizeof err),
                     GAN_READ_ENOTREG);
    /* over the limit: refused before reading, *len says how big */
    snprintf(path, sizeof path, "%s/ten", dir);
    write_plain(path, "0123456789");
    ck_assert_int_eq(gan_read_file(path, &buf, &len, 9, err, sizeof err), GAN_READ_ETOOBIG);
    snprintf(want, sizeof want, "%s: 10 bytes is over the limit of 9", path);
    ck_assert_str_eq(err, want);
    ck_assert_ptr_null(buf);
    ck_assert_uint_eq(len, 10);
    /* a big sparse file costs nothing to refuse */
    snprintf(path, sizeof path, "%s/sparse", dir);
    write_plain(path, "");
    ck_assert_int_eq(truncate(path, (off_t)1 << 31), 0);
    ck_assert_int_eq(gan_read_file(path, &buf, &len, (size_t)1 << 30, err, sizeof err),
                     GAN_READ_ETOOBIG);
    ck_assert_uint_eq(len, (size_t)1 << 31);
    /* unreadable (root reads anyway) */
    snprintf(path, sizeof path, "%s/ten", dir);
    ck_assert_int_eq(chmod(path, 0), 0);
    int rc = gan_read_file(path, &buf, &len, SIZE_MAX, err, sizeof err);
    if (geteuid() != 0) {
        ck_assert_int_eq(rc, GAN_READ_EOPEN);
        ck_assert_int_eq(errno, EACCES);
    } else {
        ck_assert_int_eq(rc, 0);
        free(buf);
    }
    /* no message buffer is fine */
    ck_assert_int_eq(gan_read_file(dir, &buf, &len, SIZE_MAX, NULL, 0), GAN_READ_ENOTREG);
    rm_tree(dir);
    free(dir);
}
END_TEST

/* ---- atomic replacement ---- */

START_TEST(atomic_write_replaces_and_leaves_nothing)
{
    char *dir = make_tmpdir(), path[4096], err[512];
    snprintf(path, sizeof path, "%s/file.bin", dir);
    ck_assert_msg(gan_write_file_atomic(path, "old\n", 4, err, sizeof err) == 0, "%s", err);
    assert_file_is(path, "old\n");
    ck_assert_msg(gan_write_file_atomic(path, "new text\n", 9, err, sizeof err) == 0, "%s", err);
    assert_file_is(path, "new text\n");
    ck_assert_int_eq(count_entries(dir), 1); /* no temporary left behind */
    ck_assert_msg(gan_write_file_atomic(path, NULL, 0, err, sizeof err) == 0, "%s", err);
    assert_file_is(path, "");
    /* a relative path: the directory to fsync is "." */
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    ck_assert_msg(gan_write_file_atomic("rel.txt", "r", 1, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(chdir(cwd), 0);
    snprintf(path, sizeof path, "%s/rel.txt", dir);
    assert_file_is(path, "r");
    rm_tree(dir);
    free(dir);
}
END_TEST

START_TEST(atomic_write_failure_keeps_old_file)
{
    char *dir = make_tmpdir(), path[4096], p[4200], err[512];
    snprintf(path, sizeof path, "%s/keep.bin", dir);
    write_plain(path, "precious\n");
    /* 1. the write fails halfway (file size limit: what a full disk looks like) */
    size_t big = 1 << 16;
    char *data = malloc(big);
    ck_assert_ptr_nonnull(data);
    memset(data, 'x', big);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, rl;
    getrlimit(RLIMIT_FSIZE, &old);
    rl.rlim_cur = big / 2;
    rl.rlim_max = old.rlim_max;
    setrlimit(RLIMIT_FSIZE, &rl);
    err[0] = 0;
    int rc = gan_write_file_atomic(path, data, big, err, sizeof err);
    setrlimit(RLIMIT_FSIZE, &old);
    free(data);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err, path) && strstr(err, "write failed"), "%s", err);
    assert_file_is(path, "precious\n");
    ck_assert_int_eq(count_entries(dir), 1);
    /* 2. a path in a missing directory */
    snprintf(p, sizeof p, "%s/no/such/dir/x.bin", dir);
    ck_assert_int_eq(gan_write_file_atomic(p, "x", 1, err, sizeof err), -1);
    /* the message names the user's path, not the temporary's (x.bin.tmp.PID) */
    ck_assert_msg(strstr(err, p) && strstr(err, "cannot create") && !strstr(err, ".tmp."), "%s",
                  err);
    /* 3. a path through a regular file */
    snprintf(p, sizeof p, "%s/x.bin", path);
    ck_assert_int_eq(gan_write_file_atomic(p, "x", 1, err, sizeof err), -1);
    ck_assert_msg(strstr(err, p), "%s", err);
    assert_file_is(path, "precious\n");
    /* 4. the target is a directory: refused, the directory and its contents stay */
    snprintf(p, sizeof p, "%s/sub", dir);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    ck_assert_int_eq(gan_write_file_atomic(p, "x", 1, err, sizeof err), -1);
    ck_assert_msg(strstr(err, p) && strstr(err, "not a regular file"), "%s", err);
    struct stat st;
    ck_assert(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
    ck_assert_int_eq(count_entries(dir), 2); /* keep.bin and sub: the temporary is gone */
    /* 5. a directory that cannot be written (root writes anyway: then only check the file) */
    ck_assert_int_eq(chmod(dir, 0555), 0);
    rc = gan_write_file_atomic(path, "new\n", 4, err, sizeof err);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    if (geteuid() != 0) {
        ck_assert_int_eq(rc, -1);
        ck_assert_msg(strstr(err, path), "%s", err);
        assert_file_is(path, "precious\n");
    } else {
        assert_file_is(path, rc == 0 ? "new\n" : "precious\n");
    }
    ck_assert_int_eq(count_entries(dir), 2);
    rm_tree(dir);
    free(dir);
}
END_TEST

/* An output that is a FIFO (or a device: the same check, not tried here, as root it could
 * replace a real one) is refused without blocking; a symbolic link is written through. */
START_TEST(special_outputs_are_refused_links_written_through)
{
    char *dir = make_tmpdir(), p[4200], target[4200], err[512];
    snprintf(p, sizeof p, "%s/pipe", dir);
    ck_assert_int_eq(mkfifo(p, 0644), 0);
    ck_assert_int_eq(gan_write_file_atomic(p, "x", 1, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "not a regular file") && strstr(err, "not replaced"), "%s", err);
    struct stat st;
    ck_assert(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode));
    snprintf(target, sizeof target, "%s/real.bin", dir);
    ck_assert_int_eq(gan_write_file_atomic(target, "old\n", 4, err, sizeof err), 0);
    snprintf(p, sizeof p, "%s/link.bin", dir);
    ck_assert_int_eq(symlink("real.bin", p), 0);
    ck_assert_msg(gan_write_file_atomic(p, "new\n", 4, err, sizeof err) == 0, "%s", err);
    ck_assert(lstat(p, &st) == 0 && S_ISLNK(st.st_mode));
    assert_file_is(target, "new\n");
    ck_assert_int_eq(count_entries(dir), 3); /* pipe, link, target: no temporary left */
    /* a link to a FIFO is refused like the FIFO */
    snprintf(p, sizeof p, "%s/link2", dir);
    ck_assert_int_eq(symlink("pipe", p), 0);
    ck_assert_int_eq(gan_write_file_atomic(p, "x", 1, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "not a regular file"), "%s", err);
    rm_tree(dir);
    free(dir);
}
END_TEST

START_TEST(temporary_name_in_use_is_skipped)
{
    char *dir = make_tmpdir(), path[4096], squat[4200], err[512];
    snprintf(path, sizeof path, "%s/f", dir);
    /* what a dead process with our pid, or another writer in this one, would leave */
    snprintf(squat, sizeof squat, "%s.tmp.%ld", path, (long)getpid());
    write_plain(squat, "someone else's\n");
    char *tmp;
    int fd = gan_tmpfile_create(path, &tmp, err, sizeof err);
    ck_assert_msg(fd >= 0, "%s", err);
    ck_assert_str_ne(tmp, squat);
    ck_assert(!strncmp(tmp, squat, strlen(squat))); /* same directory, same stem */
    ck_assert_int_eq(write(fd, "mine", 4), 4);
    ck_assert_int_eq(close(fd), 0);
    ck_assert_msg(gan_rename_durable(tmp, path, err, sizeof err) == 0, "%s", err);
    free(tmp);
    assert_file_is(path, "mine");
    ck_assert_msg(gan_write_file_atomic(path, "again", 5, err, sizeof err) == 0, "%s", err);
    assert_file_is(path, "again");
    assert_file_is(squat, "someone else's\n"); /* never clobbered */
    ck_assert_int_eq(count_entries(dir), 2);
    rm_tree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bytes");
    TCase *tc = tcase_create("bytes");
    tcase_add_test(tc, le_layout_is_fixed);
    tcase_add_test(tc, writer_reader_round_trip);
    tcase_add_test(tc, strings_are_capped_and_padded);
    tcase_add_test(tc, writer_failure_is_sticky);
    tcase_add_test(tc, reader_refuses_truncated_input);
    tcase_add_test(tc, crc32_known_values);
    tcase_add_test(tc, read_file_whole_and_nul_terminated);
    tcase_add_test(tc, read_file_failures_say_which);
    tcase_add_test(tc, atomic_write_replaces_and_leaves_nothing);
    tcase_add_test(tc, atomic_write_failure_keeps_old_file);
    tcase_add_test(tc, temporary_name_in_use_is_skipped);
    tcase_add_test(tc, special_outputs_are_refused_links_written_through);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
