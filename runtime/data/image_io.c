/* Image decode (JPEG via libjpeg(-turbo), PNG via libpng, chosen by content) and PNG encode.
 * Decoders never print: libjpeg's messages are captured into err, and any libjpeg warning
 * (e.g. "Premature end of JPEG file" for a truncated download) makes the image bad, because a
 * silently grey-filled face is worse training data than a skipped one.
 */
#include "runtime/data.h"
#include "runtime/data/data_int.h"
#include "common/err.h"
#include "common/bytes.h"

#include <errno.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE without including it */
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GAN_MAX_IMAGE_SIDE 16384

/* ---------------- JPEG ---------------- */

struct jerr_ctx {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
};

static void jpeg_fail(j_common_ptr cinfo) {
    struct jerr_ctx *e = (struct jerr_ctx *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jb, 1);
}
/* Warnings (msg_level -1) are corruption for our purposes; trace messages are dropped. */
static void jpeg_emit(j_common_ptr cinfo, int msg_level) {
    if (msg_level < 0) jpeg_fail(cinfo);
}
static void jpeg_output(j_common_ptr cinfo) { (void)cinfo; }

static int decode_jpeg(const unsigned char *buf, size_t len, int c, int min_side,
                       const char *what, gan_image8 *out, char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    struct jerr_ctx je;
    /* volatile: modified between setjmp and a possible longjmp */
    unsigned char *volatile px = NULL;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = jpeg_fail;
    je.pub.emit_message = jpeg_emit;
    je.pub.output_message = jpeg_output;
    je.msg[0] = 0;
    if (setjmp(je.jb)) {
        jpeg_destroy_decompress(&cinfo);
        free(px);
        return gan_errf(err, errlen, "%s: corrupt JPEG: %s", what, je.msg);
    }
    jpeg_create_decompress(&cinfo);
    if (len > (size_t)~0ul) len = (size_t)~0ul;
    jpeg_mem_src(&cinfo, buf, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    /* The declared size, before any scaling: a decode at 1/8 still entropy-decodes every
       block, so a few hundred bytes declaring 65535 x 65535 would cost seconds to minutes. */
    if (cinfo.image_width > GAN_MAX_IMAGE_SIDE || cinfo.image_height > GAN_MAX_IMAGE_SIDE) {
        snprintf(je.msg, sizeof je.msg, "unsupported size %ux%u (the limit is %d a side)",
                 (unsigned)cinfo.image_width, (unsigned)cinfo.image_height, GAN_MAX_IMAGE_SIDE);
        longjmp(je.jb, 1);
    }
    cinfo.out_color_space = c == 1 ? JCS_GRAYSCALE : JCS_RGB;
    if (min_side > 0) {
        /* Let the IDCT downscale (1/2, 1/4, 1/8) while the shorter side stays >= min_side:
           much cheaper than decoding full size, and a proper low-pass, not a subsample. */
        unsigned short_side = cinfo.image_width < cinfo.image_height ? cinfo.image_width
                                                                     : cinfo.image_height;
        unsigned d = 1;
        while (d < 8 && (short_side + 2 * d - 1) / (2 * d) >= (unsigned)min_side) d *= 2;
        cinfo.scale_num = 1;
        cinfo.scale_denom = d;
    }
    jpeg_start_decompress(&cinfo);
    int w = (int)cinfo.output_width, h = (int)cinfo.output_height;
    if (w <= 0 || h <= 0 || w > GAN_MAX_IMAGE_SIDE || h > GAN_MAX_IMAGE_SIDE ||
        cinfo.output_components != c) {
        snprintf(je.msg, sizeof je.msg, "unsupported size %dx%d or %d components", w, h,
                 cinfo.output_components);
        longjmp(je.jb, 1);
    }
    px = malloc((size_t)w * h * c);
    if (!px) {
        snprintf(je.msg, sizeof je.msg, "out of memory");
        longjmp(je.jb, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = px + (size_t)cinfo.output_scanline * w * c;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    out->w = w, out->h = h, out->c = c, out->px = px;
    return 0;
}

/* ---------------- PNG ---------------- */

static int decode_png(const unsigned char *buf, size_t len, int c, const char *what,
                      gan_image8 *out, char *err, size_t errlen) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, buf, len)) {
        gan_errf(err, errlen, "%s: corrupt PNG: %s", what, img.message);
        png_image_free(&img);
        return -1;
    }
    if (img.width == 0 || img.height == 0 || img.width > GAN_MAX_IMAGE_SIDE ||
        img.height > GAN_MAX_IMAGE_SIDE) {
        gan_errf(err, errlen, "%s: unsupported PNG size %ux%u", what, img.width, img.height);
        png_image_free(&img);
        return -1;
    }
    img.format = c == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    /* Composite any alpha on white rather than letting transparent pixels go black. */
    png_color bg = {255, 255, 255};
    size_t n = (size_t)img.width * img.height * c;
    unsigned char *px = malloc(n);
    if (!px) {
        png_image_free(&img);
        return gan_errf(err, errlen, "%s: out of memory", what);
    }
    if (!png_image_finish_read(&img, &bg, px, 0, NULL)) {
        gan_errf(err, errlen, "%s: corrupt PNG: %s", what, img.message);
        png_image_free(&img);
        free(px);
        return -1;
    }
    out->w = (int)img.width, out->h = (int)img.height, out->c = c, out->px = px;
    return 0;
}

int gan_image_decode_mem_min(const void *buf, size_t len, int c, int min_side, const char *what,
                             gan_image8 *out, char *err, size_t errlen) {
    const unsigned char *b = buf;
    memset(out, 0, sizeof *out);
    if (c != 1 && c != 3) {
        return gan_errf(err, errlen, "%s: channels must be 1 or 3, not %d", what, c);
    }
    if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return decode_jpeg(b, len, c, min_side, what, out, err, errlen);
    if (len >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8))
        return decode_png(b, len, c, what, out, err, errlen);
    return gan_errf(err, errlen, "%s: not a JPEG or PNG image%s", what,
                    len == 0 ? " (empty file)" : "");
}

int gan_image_decode_mem(const void *buf, size_t len, int c, const char *what, gan_image8 *out,
                         char *err, size_t errlen) {
    return gan_image_decode_mem_min(buf, len, c, 0, what, out, err, errlen);
}

int gan_image_read_file_min(const char *path, int c, int min_side, gan_image8 *out, char *err,
                            size_t errlen) {
    memset(out, 0, sizeof *out);
    uint8_t *buf;
    size_t len;
    int rc = gan_read_file(path, &buf, &len, (size_t)256 << 20, err, errlen);
    if (rc == GAN_READ_EOPEN)
        gan_errf(err, errlen, "%s: %s", path, strerror(errno));
    else if (rc == GAN_READ_ETOOBIG)
        gan_errf(err, errlen, "%s: file too large for an image (%zu bytes)", path, len);
    if (rc) return -1;
    rc = gan_image_decode_mem_min(buf, len, c, min_side, path, out, err, errlen);
    free(buf);
    return rc;
}

int gan_image_read_file(const char *path, int c, gan_image8 *out, char *err, size_t errlen) {
    return gan_image_read_file_min(path, c, 0, out, err, errlen);
}

int gan_read_image(const char *path, int c, int h, int w, float lo, float hi, float *out,
                   char *err, size_t errlen) {
    gan_image8 img;
    if (h <= 0 || w <= 0) {
        return gan_errf(err, errlen, "%s: bad target size %dx%d", path, h, w);
    }
    if (gan_image_read_file(path, c, &img, err, errlen)) return -1;
    size_t n = (size_t)c * h * w;
    unsigned char *tmp = malloc(n);
    if (!tmp) {
        free(img.px);
        return gan_errf(err, errlen, "%s: out of memory", path);
    }
    gan_image_crop_resize(&img, h, w, tmp);
    float k = (hi - lo) / 255.0f;
    for (size_t i = 0; i < n; i++) out[i] = lo + k * (float)tmp[i];
    free(tmp);
    free(img.px);
    return 0;
}

/* ---------------- PNG encode ---------------- */

/* The file libpng writes into: a fresh temporary next to path when atomic (*tmp receives its
 * malloc'd name, for the rename), else path itself (*tmp NULL). */
static FILE *open_png_out(const char *path, int atomic, char **tmp, char *err, size_t errlen) {
    *tmp = NULL;
    if (!atomic) {
        FILE *f = fopen(path, "wb");
        if (!f) gan_errf(err, errlen, "%s: %s", path, strerror(errno));
        return f;
    }
    int fd = gan_tmpfile_create(path, tmp, err, errlen);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        gan_errf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        unlink(*tmp);
        free(*tmp);
        *tmp = NULL;
    }
    return f;
}

int gan_png_write8(const char *path, const unsigned char *px, int c, int h, int w, int atomic,
                   char *err, size_t errlen) {
    if ((c != 1 && c != 3) || h <= 0 || w <= 0 || h > GAN_MAX_IMAGE_SIDE * 4 ||
        w > GAN_MAX_IMAGE_SIDE * 4) {
        return gan_errf(err, errlen, "%s: cannot write a %dx%dx%d image", path, c, h, w);
    }
    char *tmp;
    FILE *f = open_png_out(path, atomic, &tmp, err, errlen);
    if (!f) return -1;
    const char *out = tmp ? tmp : path; /* the file written; messages name the user's path */
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = c == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    int ok = png_image_write_to_stdio(&img, f, 0, px, 0, NULL);
    if (!ok) gan_errf(err, errlen, "%s: PNG encode failed: %s", path, img.message);
    png_image_free(&img);
    if (ok && fflush(f) != 0) {
        ok = 0;
        gan_errf(err, errlen, "%s: write failed: %s", path, strerror(errno));
    }
    if (ok && atomic && fsync(fileno(f)) != 0) {
        ok = 0;
        gan_errf(err, errlen, "%s: fsync failed: %s", path, strerror(errno));
    }
    if (fclose(f) != 0 && ok) {
        ok = 0;
        gan_errf(err, errlen, "%s: close failed: %s", path, strerror(errno));
    }
    if (ok && atomic && gan_rename_durable(tmp, path, err, errlen)) ok = 0;
    if (!ok) unlink(out);
    free(tmp);
    return ok ? 0 : -1;
}

/* Float CHW in [lo,hi] -> 8-bit, rounding, clamped; NaN maps to lo. */
static inline unsigned char to_u8(float v, float lo, float k) {
    float t = (v - lo) * k;
    if (!(t > 0.0f)) return 0;
    if (t >= 255.0f) return 255;
    return (unsigned char)(t + 0.5f);
}

int gan_write_png(const char *path, const float *image, int c, int h, int w, float lo, float hi,
                  char *err, size_t errlen) {
    if ((c != 1 && c != 3) || h <= 0 || w <= 0 || !(hi > lo)) {
        return gan_errf(err, errlen, "%s: cannot write image %dx%dx%d range [%g,%g]", path, c, h, w,
                        (double)lo, (double)hi);
    }
    size_t hw = (size_t)h * w;
    unsigned char *px = malloc(hw * c);
    if (!px) {
        return gan_errf(err, errlen, "%s: out of memory", path);
    }
    float k = 255.0f / (hi - lo);
    for (size_t i = 0; i < hw; i++)
        for (int ch = 0; ch < c; ch++) px[i * c + ch] = to_u8(image[(size_t)ch * hw + i], lo, k);
    int rc = gan_png_write8(path, px, c, h, w, 1, err, errlen);
    free(px);
    return rc;
}
