/* The .gan abstract syntax tree. Every node lives in an fe_arena owned by the parse; freeing
 * the arena frees the whole tree at once, which is also what makes bison's error recovery
 * leak-free without %destructor bookkeeping.
 */
#ifndef GAN_AST_H
#define GAN_AST_H

#include <stddef.h>

/* A source span as byte offsets [start, end) into the file's text. */
typedef struct fe_loc {
    int start, end;
} fe_loc;

typedef struct fe_arena fe_arena;
fe_arena *fe_arena_new(void);
void fe_arena_free(fe_arena *a);
void *fe_arena_alloc(fe_arena *a, size_t n);          /* zeroed; aborts never: NULL on OOM */
char *fe_arena_strndup(fe_arena *a, const char *s, size_t n);
/* "3 x 64 x 64" -> int array {n, d0, d1, ...} in the arena. */
int *fe_parse_dims(fe_arena *a, const char *text);

/* A growable list of pointers (in the arena). */
typedef struct ast_list {
    int n, cap;
    void **v;
} ast_list;
ast_list *ast_list_new(fe_arena *a);
ast_list *ast_list_push(fe_arena *a, ast_list *l, void *item);  /* l may be NULL */

typedef enum {
    AE_NUM = 0,   /* num, is_int */
    AE_IDENT,     /* name */
    AE_CALL,      /* name(args): args = list of groups, each a list of ast_expr (words) */
    AE_BIN,       /* a op b, op one of + - * / */
    AE_NEG,       /* -a */
    AE_FIELD,     /* a.name */
    AE_PIPE,      /* a | b  (b an IDENT or CALL naming a layer) */
    AE_DIMS       /* dims[0..ndims-1] */
} ae_kind;

typedef struct ast_expr {
    int kind;
    fe_loc loc;
    double num;
    int is_int;
    const char *name;
    fe_loc name_loc;
    int op;
    struct ast_expr *a, *b;
    ast_list *args;
    int ndims;
    int dims[4];
} ast_expr;

typedef enum {
    AS_ASSIGN = 0, /* name = value */
    AS_FOR,        /* for name in [values] { body } */
    AS_REPEAT,     /* repeat value { body } */
    AS_DEFAULTS,   /* defaults kinds { words } */
    AS_DATA_ITEM,  /* name value | name [values] | name modifier [values] */
    AS_SETTING,    /* name value (train block) */
    AS_LOSS,       /* loss name = value */
    AS_OPTIMIZER,  /* optimizer name = value (a call) */
    AS_EMA         /* ema name value */
} as_kind;

typedef struct ast_stmt {
    int kind;
    fe_loc loc;
    const char *name;
    fe_loc name_loc;
    ast_expr *value;
    ast_list *values;   /* ast_expr */
    ast_list *body;     /* ast_stmt */
    ast_list *kinds;    /* ast_expr (identifiers) */
    ast_list *words;    /* ast_expr */
    const char *modifier; /* data item: "one_of" */
    fe_loc modifier_loc;
    int used;           /* checker bookkeeping (defaults applied at least once) */
} ast_stmt;

/* A formal input or an output head: name [: type]. */
typedef struct ast_param {
    const char *name;
    fe_loc loc;
    ast_expr *type;     /* NULL, AE_IDENT (image/labels/latent), AE_NUM or AE_DIMS */
} ast_param;

typedef enum { AD_DATA = 0, AD_LATENT, AD_DEFAULTS, AD_NET, AD_TRAIN } ad_kind;

typedef struct ast_decl {
    int kind;
    fe_loc loc;
    const char *name;
    fe_loc name_loc;
    int role;           /* AD_NET: gan_net_role */
    ast_list *params;   /* ast_param */
    ast_list *heads;    /* ast_param */
    int single_head;    /* "-> type": one head named "out" */
    ast_list *body;     /* ast_stmt */
    ast_expr *size;     /* AD_LATENT */
    const char *dist;
    fe_loc dist_loc;
    ast_stmt *defaults; /* AD_DEFAULTS */
} ast_decl;

typedef struct ast_file {
    ast_list *decls;    /* ast_decl */
} ast_file;

struct fe_diag;

/* What the scanner keeps between tokens. */
#define FE_MAX_OPEN 64
struct fe_lex_state {
    fe_arena *arena;
    int offset;   /* bytes consumed so far */
    int depth;    /* open ( and [ */
    int last;     /* last token returned */
    int open_at[FE_MAX_OPEN]; /* offsets of the open brackets (innermost last), for messages */
    int bdepth;   /* open { */
    int brace_at[FE_MAX_OPEN]; /* offsets of the open braces (innermost last) */
    /* After a misspelled declaration keyword: 1 until its '{' (or the end of its line), 2
     * inside that block, 3 on its closing '}'; syntax errors there are knock-on errors and not reported. */
    int mute, mute_base;
};

/* What the parser actions build into and report through. */
typedef struct fe_parse_ctx {
    fe_arena *arena;
    struct fe_diag *diag;
    ast_file *file;
    struct fe_lex_state *lex; /* set by fe_parse: where brackets were opened */
} fe_parse_ctx;

ast_expr *ast_expr_new(fe_arena *a, int kind, fe_loc loc);
ast_stmt *ast_stmt_new(fe_arena *a, int kind, fe_loc loc);
ast_decl *ast_decl_new(fe_arena *a, int kind, fe_loc loc);
ast_param *ast_param_new(fe_arena *a, const char *name, fe_loc loc, ast_expr *type);
fe_loc fe_loc_join(fe_loc a, fe_loc b);

/* Parses src into ctx->file (errors to ctx->diag). Returns the number of syntax errors. */
int fe_parse(fe_parse_ctx *ctx, const char *src, size_t len);

#endif
