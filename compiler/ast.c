#include "compiler/ast.h"

#include <stdlib.h>
#include <string.h>

/* Bump allocator: big blocks, freed all at once. */
typedef struct fe_block {
    struct fe_block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
} fe_block;

struct fe_arena {
    fe_block *head;
};

fe_arena *fe_arena_new(void)
{
    return calloc(1, sizeof(fe_arena));
}

void fe_arena_free(fe_arena *a)
{
    if (!a)
        return;
    fe_block *b = a->head;
    while (b) {
        fe_block *n = b->next;
        free(b);
        b = n;
    }
    free(a);
}

void *fe_arena_alloc(fe_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->head->used + n > a->head->size) {
        size_t size = n > 16384 ? n : 16384;
        fe_block *b = malloc(sizeof(fe_block) + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    memset(p, 0, n);
    return p;
}

char *fe_arena_strndup(fe_arena *a, const char *s, size_t n)
{
    char *p = fe_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

int *fe_parse_dims(fe_arena *a, const char *text)
{
    int *d = fe_arena_alloc(a, sizeof(int) * 9);
    if (!d)
        return NULL;
    const char *p = text;
    int n = 0;
    while (*p) {
        if (*p >= '0' && *p <= '9') {
            long v = 0;
            while (*p >= '0' && *p <= '9') {
                if (v < 100000000)
                    v = v * 10 + (*p - '0');
                p++;
            }
            if (n < 8)
                d[1 + n] = (int)v;
            n++;
        } else {
            p++;
        }
    }
    d[0] = n;
    return d;
}

ast_list *ast_list_new(fe_arena *a)
{
    return fe_arena_alloc(a, sizeof(ast_list));
}

ast_list *ast_list_push(fe_arena *a, ast_list *l, void *item)
{
    if (!l)
        l = ast_list_new(a);
    if (!l)
        return NULL;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 4;
        void **v = fe_arena_alloc(a, sizeof(void *) * (size_t)cap);
        if (!v)
            return l;
        if (l->n)
            memcpy(v, l->v, sizeof(void *) * (size_t)l->n);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = item;
    return l;
}

ast_expr *ast_expr_new(fe_arena *a, int kind, fe_loc loc)
{
    ast_expr *e = fe_arena_alloc(a, sizeof *e);
    if (e) {
        e->kind = kind;
        e->loc = loc;
        e->name_loc = loc;
    }
    return e;
}

ast_stmt *ast_stmt_new(fe_arena *a, int kind, fe_loc loc)
{
    ast_stmt *s = fe_arena_alloc(a, sizeof *s);
    if (s) {
        s->kind = kind;
        s->loc = loc;
        s->name_loc = loc;
    }
    return s;
}

ast_decl *ast_decl_new(fe_arena *a, int kind, fe_loc loc)
{
    ast_decl *d = fe_arena_alloc(a, sizeof *d);
    if (d) {
        d->kind = kind;
        d->loc = loc;
        d->name_loc = loc;
    }
    return d;
}

ast_param *ast_param_new(fe_arena *a, const char *name, fe_loc loc, ast_expr *type)
{
    ast_param *p = fe_arena_alloc(a, sizeof *p);
    if (p) {
        p->name = name;
        p->loc = loc;
        p->type = type;
    }
    return p;
}

fe_loc fe_loc_join(fe_loc a, fe_loc b)
{
    fe_loc r = {a.start < b.start ? a.start : b.start, a.end > b.end ? a.end : b.end};
    return r;
}
