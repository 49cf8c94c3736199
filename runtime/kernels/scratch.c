/* Scratch memory for the kernels: a bump allocator reset between ops. An op that does not fit
 * gets plain malloc'd blocks for this once, and records how much it needed; the next reset
 * grows the buffer to that, so a program's second run allocates nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/kernels/kern_internal.h"

struct kern_scratch {
    unsigned char *buf;
    size_t cap;  /* bytes in buf */
    size_t used; /* bytes handed out since the last reset */
    size_t need; /* the most any op has asked for */
};

enum { SCRATCH_ALIGN = 64 };

kern_scratch *kern_scratch_new(void)
{
    return calloc(1, sizeof(kern_scratch));
}

void kern_scratch_free(kern_scratch *sc)
{
    if (!sc)
        return;
    free(sc->buf);
    free(sc);
}

size_t kern_scratch_bytes(const kern_scratch *sc)
{
    return sc ? sc->cap : 0;
}

void kern_scratch_reset(kern_scratch *sc)
{
    if (!sc)
        return;
    sc->used = 0;
    if (sc->need <= sc->cap)
        return;
    free(sc->buf);
    size_t cap = (sc->need + SCRATCH_ALIGN - 1) / SCRATCH_ALIGN * SCRATCH_ALIGN;
    sc->buf = aligned_alloc(SCRATCH_ALIGN, cap);
    sc->cap = sc->buf ? cap : 0; /* out of memory: ops fall back to malloc */
}

void *kern_tmp(kern_scratch *sc, size_t bytes, int zero)
{
    if (bytes == 0)
        bytes = 1;
    if (sc) {
        size_t a = (bytes + SCRATCH_ALIGN - 1) / SCRATCH_ALIGN * SCRATCH_ALIGN;
        if (a >= bytes && sc->used <= SIZE_MAX - a) {
            size_t end = sc->used + a;
            if (end > sc->need)
                sc->need = end;
            if (end <= sc->cap) {
                void *p = sc->buf + sc->used;
                sc->used = end;
                if (zero)
                    memset(p, 0, bytes);
                return p;
            }
            sc->used = end; /* later requests of this op count after this one */
        }
    }
    return zero ? calloc(1, bytes) : malloc(bytes);
}

void kern_tmp_done(kern_scratch *sc, void *p)
{
    if (!p)
        return;
    if (sc && sc->buf) {
        uintptr_t q = (uintptr_t)p, lo = (uintptr_t)sc->buf;
        if (q >= lo && q < lo + sc->cap)
            return; /* in the buffer: reclaimed by the next reset */
    }
    free(p);
}
