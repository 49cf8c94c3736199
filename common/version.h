/* The one version of ganc and ganrt: both print it, the man pages carry it, `make install`
 * installs it. The file formats have versions of their own (GAN_FORMAT_VERSION,
 * GAN_CKPT_VERSION): a release that does not change a format keeps its number. */
#ifndef GAN_VERSION_H
#define GAN_VERSION_H
#define GAN_VERSION "0.2.0"
#endif
