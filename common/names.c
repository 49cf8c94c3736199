/* Names shared by ganc and ganrt: CelebA's 40 attributes and the one edit distance behind every
 * "did you mean". */
#include "common/names.h"

#include <ctype.h>
#include <string.h>

const char *const gan_celeba_attr_names[GAN_CELEBA_N_ATTRS] = {
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
    "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair",
    "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair",
    "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes",
    "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks",
    "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat",
    "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young"};

/* Optimal-string-alignment distance, ignoring case: insertions, deletions, substitutions and
 * swaps of two neighbours ("avd" -> "adv") each cost 1; "smiling" is 0 from "Smiling". Shared
 * by every "did you mean" in ganc and ganrt. */
int gan_edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 1 << 20; /* names are short; junk gets no suggestion */
    int d[64][64];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int ai = tolower((unsigned char)a[i - 1]), bj = tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j - 1] + (ai != bj);
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == bj && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

const char *gan_closest_name(const char *name, const char *const *cands, int n) {
    if (!name || !cands) return NULL;
    const char *best = NULL;
    int bestd = 1 << 30;
    for (int i = 0; i < n; i++) {
        if (!cands[i]) continue;
        int d = gan_edit_distance(name, cands[i]);
        if (d < bestd) bestd = d, best = cands[i];
    }
    /* Only suggest something plausibly meant: a few edits, at most half the name. */
    int len = (int)strlen(name);
    int limit = len / 2 > 3 ? len / 2 : 3;
    return bestd <= limit ? best : NULL;
}

