/* CRC repair for the binary targets: a mutated byte almost always breaks a checksum, and a
 * search stuck at "CRC mismatch" never reaches the parser behind it. */
#include "common/bytes.h"
#include "fuzz/fuzz.h"

void fuzz_fix_model_crcs(uint8_t *buf, size_t len)
{
    if (len < 24)
        return;
    gan_le64_store(buf + 16, len);
    size_t pos = 24;
    while (len - pos >= 24) {
        uint64_t n = gan_le64_load(buf + pos + 8);
        if (n > len - pos - 24)
            return;
        gan_le32_store(buf + pos + 16, gan_crc32(buf + pos + 24, (size_t)n));
        pos += 24 + (size_t)n;
    }
}

void fuzz_fix_ckpt_crcs(uint8_t *buf, size_t len)
{
    if (len < 128)
        return;
    uint64_t off = gan_le64_load(buf + 104), n = gan_le64_load(buf + 112);
    if (off < 128 || off > len || n > len - off)
        return;
    gan_le32_store(buf + 120, gan_crc32(buf + off, (size_t)n));
    uint32_t h = gan_crc32(buf, 124);
    gan_le32_store(buf + 124, gan_crc32_update(h, buf + 128, (size_t)off - 128));
}
