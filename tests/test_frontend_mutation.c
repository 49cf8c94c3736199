/* Robustness: thousands of randomly corrupted variants of the shipped models (byte flips,
 * deletions, duplications, token swaps, insertions, truncations; seeded PRNG) go through the
 * front end in-process. Each must be accepted, or rejected with every error located as
 * "file:LINE:COL: error:". Crashes and leaks are caught by the ASan build of this test. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/frontend.h"
#include "tests/util/fe_util.h"

#define N_VARIANTS 10000

static const char *const inserts[] = {
    "{", "}", "(", ")", "[", "]", "|", ",", ":", "=", "->", "~", "+", "-", "*", "/", ".", "\n", "#",
    "for f in [1, 2] {", "repeat 3 {", "conv", "dense(", "x", "y", "z", "G(z, y)", "D(x).adv", "labels",
    "0", "1e99", "-1", "99999999999", "3 x 0 x 2", "\t", "\xc3\xa9", "\0", "loss D =", "defaults conv {",
    "concat(", "project(", "generator", "train", "data", "latent", "ema", "optimizer", ";",
};

static size_t word_at(const char *s, size_t len, size_t pos, size_t *end)
{
    /* the identifier/number around pos: [start, *end) */
    size_t a = pos, b = pos;
#define WC(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || ((c) >= '0' && (c) <= '9') || (c) == '_')
    while (a > 0 && WC(s[a - 1]))
        a--;
    while (b < len && WC(s[b]))
        b++;
    *end = b;
    return a;
}

/* One random mutation of buf[0..*len) into out (capacity cap). */
static size_t mutate(uint64_t *rng, const char *in, size_t len, char *out, size_t cap)
{
    if (len == 0) {
        out[0] = 'x';
        return 1;
    }
    size_t pos = (size_t)(fe_t_rand(rng) % len);
    size_t n = 1 + (size_t)(fe_t_rand(rng) % 24);
    if (pos + n > len)
        n = len - pos;
    size_t o = 0;
    switch (fe_t_rand(rng) % 7) {
    case 0: /* byte flip */
        memcpy(out, in, len);
        out[pos] = (char)(fe_t_rand(rng) & 0xff);
        return len;
    case 1: /* deletion */
        memcpy(out, in, pos);
        memcpy(out + pos, in + pos + n, len - pos - n);
        return len - n;
    case 2: /* duplication */
        if (len + n > cap)
            n = 0;
        memcpy(out, in, pos + n);
        memcpy(out + pos + n, in + pos, len - pos);
        return len + n;
    case 3: { /* swap two words */
        size_t e1, e2;
        size_t a1 = word_at(in, len, pos, &e1);
        size_t p2 = (size_t)(fe_t_rand(rng) % len);
        size_t a2 = word_at(in, len, p2, &e2);
        if (a2 < a1) {
            size_t t = a1; a1 = a2; a2 = t;
            t = e1; e1 = e2; e2 = t;
        }
        if (e1 > a2 || a1 == e1 || a2 == e2) {
            memcpy(out, in, len);
            return len;
        }
        memcpy(out + o, in, a1); o += a1;
        memcpy(out + o, in + a2, e2 - a2); o += e2 - a2;
        memcpy(out + o, in + e1, a2 - e1); o += a2 - e1;
        memcpy(out + o, in + a1, e1 - a1); o += e1 - a1;
        memcpy(out + o, in + e2, len - e2); o += len - e2;
        return o;
    }
    case 4: { /* insertion of a token */
        size_t k = (size_t)(fe_t_rand(rng) % (sizeof inserts / sizeof inserts[0]));
        size_t il = strlen(inserts[k]);
        if (il == 0)
            il = 1; /* the "\0" entry: one NUL byte */
        if (len + il > cap) {
            memcpy(out, in, len);
            return len;
        }
        memcpy(out, in, pos);
        memcpy(out + pos, inserts[k], il);
        memcpy(out + pos + il, in + pos, len - pos);
        return len + il;
    }
    case 5: /* truncation */
        memcpy(out, in, pos);
        return pos;
    default: /* digit change: numbers are where shapes go wrong */
        memcpy(out, in, len);
        for (size_t i = pos; i < len; i++)
            if (out[i] >= '0' && out[i] <= '9') {
                out[i] = (char)('0' + fe_t_rand(rng) % 10);
                break;
            }
        return len;
    }
}

START_TEST(mutated_models)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/models", fe_t_root());
    char **names;
    int nm = fe_t_list(dir, ".gan", &names);
    ck_assert_msg(nm >= 3, "no models in %s", dir);
    char *src[32];
    size_t slen[32];
    if (nm > 32)
        nm = 32;
    for (int i = 0; i < nm; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        src[i] = fe_t_read(p, &slen[i]);
        ck_assert_ptr_nonnull(src[i]);
    }
    /* FE_MUTATION_SEED / FE_MUTATION_N: longer fuzzing runs by hand; the suite uses the defaults */
    uint64_t rng = getenv("FE_MUTATION_SEED") ? strtoull(getenv("FE_MUTATION_SEED"), NULL, 0) : 0x5eed2019u;
    int n_variants = getenv("FE_MUTATION_N") ? atoi(getenv("FE_MUTATION_N")) : N_VARIANTS;
    if (n_variants < 1)
        n_variants = N_VARIANTS;
    size_t cap = 1 << 16;
    char *a = malloc(cap), *b = malloc(cap);
    int accepted = 0, rejected = 0;
    for (int v = 0; v < n_variants; v++) {
        int m = v % nm;
        ck_assert(slen[m] < cap / 2);
        memcpy(a, src[m], slen[m]);
        size_t len = slen[m];
        int rounds = 1 + (int)(fe_t_rand(&rng) % 3);
        for (int k = 0; k < rounds; k++) {
            len = mutate(&rng, a, len, b, cap / 2);
            char *t = a; a = b; b = t;
        }
        char name[64];
        snprintf(name, sizeof name, "mut%04d.gan", v);
        fe_result r;
        int rc = fe_compile(name, a, len, &r);
        if (rc == 0) {
            ck_assert_ptr_nonnull(r.model);
            /* the report must cope with whatever was accepted */
            FILE *f = fopen("/dev/null", "w");
            if (f) {
                fe_report(r.model, f);
                fclose(f);
            }
            accepted++;
        } else {
            ck_assert_int_eq(rc, 1);
            ck_assert_ptr_null(r.model);
            int located = fe_t_every_error_located(r.messages, name);
            if (located <= 0) {
                fwrite(a, 1, len, stderr);
                fprintf(stderr, "\n---- messages:\n%s\n", r.messages);
            }
            ck_assert_msg(located > 0, "variant %d (of %s) rejected without a located error", v, names[m]);
            rejected++;
        }
        fe_result_free(&r);
    }
    fprintf(stderr, "mutation: %d variants, %d accepted, %d rejected with located errors\n", n_variants, accepted,
            rejected);
    ck_assert_int_ge(rejected, n_variants / 2);
    free(a);
    free(b);
    for (int i = 0; i < nm; i++)
        free(src[i]);
    fe_t_list_free(names, nm);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("frontend_mutation");
    TCase *tc = tcase_create("mutation");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, mutated_models);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
