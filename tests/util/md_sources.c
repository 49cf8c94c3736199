#include "tests/util/md_sources.h"

#include <check.h>
#include <string.h>
#include "compiler/frontend.h"

md_model *mdsrc_compile(const char *name, const char *src)
{
    fe_result r;
    int rc = fe_compile(name, src, strlen(src), &r);
    ck_assert_msg(rc == 0 && r.model, "%s:\n%s", name, r.messages ? r.messages : "");
    md_model *m = r.model;
    r.model = NULL;
    fe_result_free(&r);
    return m;
}

md_model *mdsrc_lsgan(int tiny)
{
    (void)tiny;
    return mdsrc_compile("lsgan.gan",
                         "data {\n"
                         "  image 1 x 8 x 8\n"
                         "  labels [Smiling, Male]\n"
                         "}\n"
                         "latent z : 4\n"
                         "generator G(z, y) -> image {\n"
                         "  h = concat(z, y) | dense(48) | reshape(3, 4, 4) | instance_norm\n"
                         "  out = h | upsample | conv(1, kernel 3, padding same) | tanh\n"
                         "}\n"
                         "discriminator D(x : image) -> (adv : 1, cls : labels) {\n"
                         "  h = x | conv(3, kernel 3, padding same) | instance_norm(no_affine) | leaky_relu\n"
                         "  h2 = h | avg_pool | conv(4, kernel 3, padding same) | instance_norm | leaky_relu |\n"
                         "       avg_pool(kernel 3, stride 1) | flatten\n"
                         "  adv = h2 | dense(1)\n"
                         "  cls = h2 | dense(labels)\n"
                         "}\n"
                         "train {\n"
                         "  batch 3  steps 10\n"
                         "  loss D = mse(D(x).adv, 1) + mse(D(G(z, y)).adv, 0) + 0.5 * mse(D(x).cls, y)\n"
                         "  loss G = mse(D(G(z, y)).adv, 1) + 0.5 * mse(D(G(z, y)).cls, y)\n"
                         "  optimizer D = adam(lr 1e-3)\n"
                         "  optimizer G = adam(lr 1e-3)\n"
                         "}\n");
}

md_model *mdsrc_cond_bn(int tiny)
{
    (void)tiny;
    return mdsrc_compile("cond_bn.gan",
                         "data {\n"
                         "  image 1 x 8 x 8\n"
                         "  labels [Smiling, Male]\n"
                         "}\n"
                         "latent z : 4\n"
                         "generator G(z, y) -> image {\n"
                         "  v = z | dense(6) | cond_batchnorm(y, init normal(0.5)) | relu\n"
                         "  h = v | dense(48) | reshape(3, 4, 4) | cond_batchnorm(y, init normal(0.5))\n"
                         "  out = h | relu | upsample | conv(1, kernel 3, padding same) | tanh\n"
                         "}\n"
                         "discriminator D(x : image, y) -> 1 {\n"
                         "  h = x | diffaugment | conv(3, kernel 3, stride 2, padding same) | leaky_relu |\n"
                         "      flatten\n"
                         "  out = concat(h, y) | dense(1)\n"
                         "}\n"
                         "train {\n"
                         "  batch 3  steps 10\n"
                         "  loss D = hinge_real(D(x, y)) + hinge_fake(D(G(z, y), y))\n"
                         "  loss G = -mean(D(G(z, y), y))\n"
                         "  optimizer D = adam(lr 1e-3)\n"
                         "  optimizer G = adam(lr 1e-3)\n"
                         "}\n");
}

md_model *mdsrc_bce_bal(int tiny)
{
    (void)tiny;
    return mdsrc_compile("bce_bal.gan",
                         "data {\n"
                         "  image 1 x 8 x 8\n"
                         "  labels [Smiling, Male, Eyeglasses]\n"
                         "}\n"
                         "latent z : 4\n"
                         "generator G(z, y) -> image {\n"
                         "  h = concat(z, y) | dense(48) | reshape(3, 4, 4) | relu\n"
                         "  out = h | upsample | conv(1, kernel 3, padding same) | tanh\n"
                         "}\n"
                         "discriminator D(x : image) -> (adv : 1, cls : labels) {\n"
                         "  h = x | conv(3, kernel 3, stride 2, padding same) | leaky_relu | flatten\n"
                         "  adv = h | dense(1)\n"
                         "  cls = h | dense(labels)\n"
                         "}\n"
                         "train {\n"
                         "  batch 4  steps 10\n"
                         "  loss D = hinge_real(D(x).adv) + hinge_fake(D(G(z, y)).adv) + bce_balanced(D(x).cls, y)\n"
                         "  loss G = -mean(D(G(z, y)).adv) + 2 * bce_balanced(D(G(z, y)).cls, y)\n"
                         "  optimizer D = adam(lr 1e-3)\n"
                         "  optimizer G = adam(lr 1e-3)\n"
                         "}\n");
}
