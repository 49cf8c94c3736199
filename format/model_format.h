/* model.bin layout constants shared by the writer and the loader (docs/model-format.md). */
#ifndef GAN_MODEL_FORMAT_H
#define GAN_MODEL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define GANF_FILE_HEADER 24u    /* magic[8], u32 version, u32 n_sections, u64 file length */
#define GANF_SECTION_HEADER 24u /* u32 id, u32 flags (0), u64 length, u32 crc32, u32 zero */
#define GANF_HYPER_FIXED 64u
#define GANF_TENSOR_REC 56u
#define GANF_NETWORK_REC 40u
#define GANF_PROGRAM_REC 48u
#define GANF_INPUT_REC 8u
#define GANF_OUTPUT_REC 4u
#define GANF_OP_REC 132u

enum {
    GANF_SEC_STRINGS = 1,
    GANF_SEC_HYPER = 2,
    GANF_SEC_TENSORS = 3,
    GANF_SEC_NETWORKS = 4,
    GANF_SEC_PROGRAMS = 5,
    GANF_N_SECTIONS = 5
};

static inline const char *ganf_section_name(unsigned id)
{
    static const char *const names[] = {"?", "strings", "hyper", "tensors", "networks",
                                        "programs"};
    return id <= GANF_N_SECTIONS ? names[id] : "?";
}

#endif
