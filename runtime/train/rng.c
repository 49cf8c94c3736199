/* Deterministic RNG: splitmix64 seeding, xoshiro256** stream, Box-Muller normals.
 * Everything is computed in integer or double arithmetic with no libm calls whose results
 * could differ between runs of the same binary, so a restored state continues the exact
 * stream. */
#include <math.h>
#include <string.h>
#include "runtime/train.h"

uint64_t gan_mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void gan_rng_seed(gan_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        x += 0x9E3779B97F4A7C15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        r->s[i] = z ^ (z >> 31);
    }
    /* xoshiro must not start from the all-zero state (splitmix64 cannot give four zeros, but
     * keep the guarantee explicit). */
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1;
    r->has_spare = 0;
    r->spare = 0.0f;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t gan_rng_next(gan_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double gan_rng_uniform(gan_rng *r)
{
    return (double)(gan_rng_next(r) >> 11) * 0x1.0p-53;
}

float gan_rng_normal(gan_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    /* u1 in (0, 1] so log never sees 0. */
    double u1 = 1.0 - gan_rng_uniform(r);
    double u2 = gan_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    double th = 6.283185307179586476925 * u2;
    r->spare = (float)(rad * sin(th));
    r->has_spare = 1;
    return (float)(rad * cos(th));
}

void gan_rng_fill_normal(gan_rng *r, float *x, size_t n, float mean, float std)
{
    for (size_t i = 0; i < n; i++)
        x[i] = mean + std * gan_rng_normal(r);
}

void gan_rng_fill_uniform(gan_rng *r, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(lo + (hi - (double)lo) * gan_rng_uniform(r));
}

void gan_rng_truncate_normal(gan_rng *r, float *x, size_t n, float psi)
{
    for (size_t i = 0; i < n; i++)
        while (!(fabsf(x[i]) <= psi))
            x[i] = gan_rng_normal(r);
}
