/* RUN/report.html: written at every checkpoint with one curve per metrics column of as many
 * points as metrics.csv has rows, the run's sample grids in step order, the command, the model
 * and the machine; and, where Debian's Chromium is installed, the page loads headless with its
 * self-check passed (no script error, the plotted point count, the grids) and a screenshot of
 * it is not blank. Without Chromium that part skips with a message. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/bytes.h"
#include "runtime/data.h"
#include "tests/util/train_util.h"

static char g_out[65536];

static char *slurp(const char *p)
{
    uint8_t *b;
    size_t n;
    return gan_read_file(p, &b, &n, SIZE_MAX, NULL, 0) ? NULL : (char *)b;
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* the sum of the numbers after every occurrence of `key` (data-points="N") */
static long sum_after(const char *s, const char *key)
{
    long n = 0;
    for (const char *p = s; (p = strstr(p, key)); p += strlen(key))
        n += strtol(p + strlen(key), NULL, 10);
    return n;
}

static const char *chromium(void)
{
    static const char *const c[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser",
                                    "/usr/bin/google-chrome"};
    for (int i = 0; i < 3; i++)
        if (access(c[i], X_OK) == 0)
            return c[i];
    return NULL;
}

/* dump-dom and screenshot in headless Chromium */
static void browser_checks(const char *dir, const char *html, int plotted, int grids)
{
    const char *br = chromium();
    if (!br) {
        fprintf(stderr, "test_report: SKIP the browser checks: Chromium is not installed "
                "(apt-get install chromium)\n");
        return;
    }
    char url[4600], shot[4600], arg[4700];
    snprintf(url, sizeof url, "file://%s", html);
    char *const dump[] = {(char *)br, "--headless", "--no-sandbox", "--disable-gpu",
                          "--dump-dom", url, NULL};
    int rc = train_spawn(dump, g_out, sizeof g_out);
    ck_assert_msg(rc == 0, "chromium --dump-dom: exit %d: %.2000s", rc, g_out);
    char *body = strstr(g_out, "<body"), *end = body ? strchr(body, '>') : NULL;
    ck_assert_msg(body && end, "no <body> in the DOM: %.2000s", g_out);
    end[1] = 0; /* the attributes the page's script set, not the script's own text */
    char want[128];
    ck_assert_msg(strstr(body, "data-ready=\"1\""), "the page's script did not finish: %.300s",
                  body);
    ck_assert_msg(!strstr(body, "data-js-error"), "script error: %.300s", body);
    snprintf(want, sizeof want, "data-plotted=\"%d\"", plotted);
    ck_assert_msg(strstr(body, want), "want %s: %.300s", want, body);
    snprintf(want, sizeof want, "data-grids=\"%d\"", grids);
    ck_assert_msg(strstr(body, want), "want %s: %.300s", want, body);
    snprintf(shot, sizeof shot, "%s/shot.png", dir);
    snprintf(arg, sizeof arg, "--screenshot=%s", shot);
    char *const cap[] = {(char *)br, "--headless", "--no-sandbox", "--disable-gpu",
                         "--window-size=1000,1400", arg, url, NULL};
    rc = train_spawn(cap, g_out, sizeof g_out);
    ck_assert_msg(rc == 0, "chromium --screenshot: exit %d: %.2000s", rc, g_out);
    gan_image8 im;
    char err[512];
    ck_assert_msg(gan_image_read_file(shot, 3, &im, err, sizeof err) == 0, "%s", err);
    /* not blank: the page draws dark text and blue curves on white */
    size_t n = (size_t)im.w * im.h * 3, dark = 0;
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += im.px[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        var += (im.px[i] - mean) * (im.px[i] - mean);
        dark += im.px[i] < 100;
    }
    free(im.px);
    ck_assert_msg(sqrt(var / (double)n) > 10 && dark > n / 500, "blank screenshot: mean %.1f "
                  "std %.1f, %zu dark values of %zu", mean, sqrt(var / (double)n), dark, n);
}

START_TEST(report_shows_the_run)
{
    char *dir = train_tmpdir();
    char model[4400], data[4400], run[4400], html[4500], err[1024];
    snprintf(model, sizeof model, "%s/model.bin", dir);
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    ck_assert_msg(train_fx_model(model, TRAIN_FX_GAN, 0, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(train_fx_data(data, 48, err, sizeof err) == 0, "%s", err);
    const char *rt = getenv("GANRT") ? getenv("GANRT") : "build/release/ganrt";
    char *const argv[] = {(char *)rt, "train", model, "--data", data, "--out", run, "--steps",
                          "6", "--ckpt-every", "2", "--sample-every", "2", "--threads", "1",
                          NULL};
    int rc = train_spawn(argv, g_out, sizeof g_out);
    ck_assert_msg(rc == 0, "train: exit %d: %s", rc, g_out);
    snprintf(html, sizeof html, "%s/report.html", run);
    char *page = slurp(html);
    ck_assert_msg(page != NULL, "no %s", html);
    /* one curve per metrics column but step and time_s, each with the 6 rows */
    char mpath[4500];
    snprintf(mpath, sizeof mpath, "%s/metrics.csv", run);
    char *metrics = slurp(mpath);
    ck_assert_ptr_nonnull(metrics);
    int cols = 1 + count(strtok(metrics, "\n"), ",");
    int charts = count(page, "<svg class=\"chart\"");
    ck_assert_msg(charts == cols - 2, "%d charts for %d columns", charts, cols);
    ck_assert_int_eq(count(page, "data-rows=\"6\""), charts);
    ck_assert_int_eq(sum_after(page, "data-points=\""), 6L * charts);
    free(metrics);
    /* the grids of steps 2, 4, 6 in order, the command, the model, the machine */
    ck_assert_msg(strstr(page, "var grids = [\"step_000002.png\",\"step_000004.png\","
                               "\"step_000006.png\"];"), "%.400s", strstr(page, "var grids"));
    ck_assert(strstr(page, "--ckpt-every 2 --sample-every 2") && strstr(page, "ganrt train "));
    ck_assert(strstr(page, "hyperparameters") && strstr(page, "online CPUs"));
    ck_assert(!strstr(page, "http://") && !strstr(page, "https://")); /* nothing from elsewhere */
    browser_checks(dir, html, 6 * charts, 3);
    free(page);
    train_rmrf(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, report_shows_the_run);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
