/* Input dumps: what one program run read, as .npy files numpy loads directly, and the replay
 * of them (docs/reproducibility.md). A run's directory is DIR/step_NNNNNN/runR_PROGRAM/:
 *   image.npy   float32 [N, C, H, W]  the preprocessed batch, in the model's value range
 *   labels.npy  float32 [N, L]        label rows (0/1, or one-hot)
 *   z.npy       float32 [N, Z]        the latent draws
 *   ids.npy     int64   [N]           the batch's image numbers (000123.jpg: 123)
 *   state.npy   uint64  [7]           after the run's draws: data epoch, data index, the
 *                                     latent RNG's s[0..3], has_spare << 32 | spare's bits
 * each present only where the program has that input. */
#include <stdio.h>
#include <string.h>
#include "runtime/exec.h"
#include "runtime/train.h"
#include "runtime/train/npy.h"

static const char *const role_file[GAN_ROLE_COUNT] = {"image", "labels", "z", "direction"};

int gan_inputs_run_dir(char *buf, size_t len, const char *dir, long long step, int run,
                       const char *prog)
{
    int n = snprintf(buf, len, "%s/step_%06lld/run%d_%s", dir, step, run, prog);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* An input tensor's .npy shape: [N, C, H, W] for images, [N, width] otherwise. */
static int input_shape(const gan_model *m, int role, int64_t *shape)
{
    const gan_hyper *h = &m->hyper;
    shape[0] = h->batch;
    if (role == GAN_ROLE_IMAGE) {
        shape[1] = h->image_c, shape[2] = h->image_h, shape[3] = h->image_w;
        return 4;
    }
    shape[1] = role == GAN_ROLE_LABELS ? h->n_labels : h->latent_size;
    return 2;
}

static void pack_state(uint64_t *st, uint64_t epoch, uint64_t index, const gan_rng *r)
{
    uint32_t bits;
    memcpy(&bits, &r->spare, sizeof bits);
    st[0] = epoch, st[1] = index;
    for (int i = 0; i < 4; i++)
        st[2 + i] = r->s[i];
    st[6] = (uint64_t)r->has_spare << 32 | bits;
}

static void unpack_state(const uint64_t *st, uint64_t *epoch, uint64_t *index, gan_rng *r)
{
    *epoch = st[0], *index = st[1];
    for (int i = 0; i < 4; i++)
        r->s[i] = st[2 + i];
    r->has_spare = (uint32_t)(st[6] >> 32);
    uint32_t bits = (uint32_t)st[6];
    memcpy(&r->spare, &bits, sizeof bits);
}

int gan_inputs_dump(const char *rundir, const gan_model *m, int prog,
                    float *const base[GAN_REGION_COUNT], const int64_t *ids, uint64_t epoch,
                    uint64_t index, const gan_rng *rng, char *err, size_t errlen)
{
    if (gan_mkdirs(rundir, err, errlen))
        return -1;
    const gan_program *p = &m->programs[prog];
    char path[4400];
    int64_t shape[4];
    for (int i = 0; i < p->n_inputs; i++) {
        int role = p->input_roles[i];
        int nd = input_shape(m, role, shape);
        snprintf(path, sizeof path, "%s/%s.npy", rundir, role_file[role]);
        if (gan_npy_write(path, GAN_NPY_F32, nd, shape, gan_tensor_ptr(m, base, p->inputs[i]),
                          err, errlen))
            return -1;
    }
    if (ids) {
        snprintf(path, sizeof path, "%s/ids.npy", rundir);
        shape[0] = m->hyper.batch;
        if (gan_npy_write(path, GAN_NPY_I64, 1, shape, ids, err, errlen))
            return -1;
    }
    uint64_t st[7];
    pack_state(st, epoch, index, rng);
    snprintf(path, sizeof path, "%s/state.npy", rundir);
    shape[0] = 7;
    return gan_npy_write(path, GAN_NPY_U64, 1, shape, st, err, errlen);
}

int gan_inputs_load(const char *rundir, const gan_model *m, int prog,
                    float *const base[GAN_REGION_COUNT], uint64_t *epoch, uint64_t *index,
                    gan_rng *rng, int *has_state, char *err, size_t errlen)
{
    const gan_program *p = &m->programs[prog];
    char path[4400];
    int64_t shape[4];
    for (int i = 0; i < p->n_inputs; i++) {
        int role = p->input_roles[i];
        int nd = input_shape(m, role, shape);
        snprintf(path, sizeof path, "%s/%s.npy", rundir, role_file[role]);
        if (gan_npy_read(path, GAN_NPY_F32, nd, shape, gan_tensor_ptr(m, base, p->inputs[i]),
                         err, errlen))
            return -1;
    }
    *has_state = 0;
    snprintf(path, sizeof path, "%s/state.npy", rundir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0; /* inputs made by hand need no state: the RNG and data position stay */
    fclose(f);
    uint64_t st[7];
    shape[0] = 7;
    if (gan_npy_read(path, GAN_NPY_U64, 1, shape, st, err, errlen))
        return -1;
    gan_rng r;
    unpack_state(st, epoch, index, &r);
    if (rng)
        *rng = r;
    *has_state = 1;
    return 0;
}
