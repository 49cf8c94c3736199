/* Fuzz target: image bytes through the loader's decoder (JPEG or PNG, by content), in colour
 * and in gray, at full size and with the JPEG size hint the loader passes, then the face crop
 * and resize the loader applies. */
#include <stdlib.h>

#include "fuzz/fuzz.h"
#include "runtime/data.h"
#include "runtime/data/data_int.h"

int fuzz_image_one(const uint8_t *data, size_t len)
{
    static const int channels[2] = {3, 1}, min_side[2] = {0, 16};
    for (int k = 0; k < 2; k++) {
        gan_image8 im;
        char err[512];
        if (gan_image_decode_mem_min(data, len, channels[k], min_side[k], "fuzz.img", &im, err,
                                     sizeof err))
            continue;
        unsigned char out[3 * 8 * 8];
        gan_image_crop_resize(&im, 8, 8, out);
        free(im.px);
    }
    return 0;
}
