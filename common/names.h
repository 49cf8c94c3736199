/* Names shared by the compiler and the runtime: CelebA's attribute names and the edit distance
 * behind every "did you mean". No state; nothing allocates. */
#ifndef GAN_COMMON_NAMES_H
#define GAN_COMMON_NAMES_H

/* The 40 CelebA attribute names, in list_attr_celeba.txt's order. */
#define GAN_CELEBA_N_ATTRS 40
extern const char *const gan_celeba_attr_names[GAN_CELEBA_N_ATTRS];

/* Optimal-string-alignment distance, ASCII case-insensitive. */
int gan_edit_distance(const char *a, const char *b);

/* The closest of n candidates by edit distance when it is plausibly what was meant, else NULL. */
const char *gan_closest_name(const char *name, const char *const *cands, int n);

#endif
