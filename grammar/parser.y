/* The .gan grammar: a pure (reentrant) bison parser with byte-offset locations.
 * The parser only builds the AST (in the parse's arena); names, shapes and types are the
 * checker's business (compiler/check*.c). Syntax errors recover per statement (at the end of
 * the line) and per block (at its closing brace), so one run reports several.
 */
%require "3.6"
%define api.pure full
%define api.prefix {fe_yy}
%define api.location.type {fe_loc}
%define parse.error custom
%define parse.lac full
%locations
%param {void *scanner}
%parse-param {fe_parse_ctx *ctx}

%code requires {
#include "compiler/ast.h"
typedef struct { double v; int is_int; } fe_num;
}

%code provides {
int fe_yylex(FE_YYSTYPE *lval, FE_YYLTYPE *lloc, void *scanner);
}

%code {
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "compiler/diag.h"

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                   \
    do {                                                              \
        if (N) {                                                      \
            (Cur).start = YYRHSLOC(Rhs, 1).start;                     \
            (Cur).end = YYRHSLOC(Rhs, N).end;                         \
        } else {                                                      \
            (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;           \
        }                                                             \
    } while (0)

static void fe_yyerror(FE_YYLTYPE *loc, void *scanner, fe_parse_ctx *ctx, const char *msg)
{
    (void)scanner;
    if (!strcmp(msg, "memory exhausted"))
        msg = "input nested too deeply (parser stack exhausted)";
    fe_error(ctx->diag, *loc, "%s", msg);
}

#define A (ctx->arena)
static ast_expr *mk_ident(fe_parse_ctx *ctx, const char *name, fe_loc loc)
{
    ast_expr *e = ast_expr_new(ctx->arena, AE_IDENT, loc);
    e->name = name;
    return e;
}
static ast_expr *mk_num(fe_parse_ctx *ctx, fe_num n, fe_loc loc)
{
    ast_expr *e = ast_expr_new(ctx->arena, AE_NUM, loc);
    e->num = n.v;
    e->is_int = n.is_int;
    return e;
}
static ast_expr *mk_bin(fe_parse_ctx *ctx, int op, ast_expr *a, ast_expr *b, fe_loc loc)
{
    ast_expr *e = ast_expr_new(ctx->arena, AE_BIN, loc);
    e->op = op;
    e->a = a;
    e->b = b;
    return e;
}
static ast_expr *mk_call(fe_parse_ctx *ctx, const char *name, fe_loc nloc, ast_list *args, fe_loc loc)
{
    ast_expr *e = ast_expr_new(ctx->arena, AE_CALL, loc);
    e->name = name;
    e->name_loc = nloc;
    e->args = args ? args : ast_list_new(ctx->arena);
    return e;
}
static ast_expr *mk_dims(fe_parse_ctx *ctx, const int *d, fe_loc loc)
{
    ast_expr *e = ast_expr_new(ctx->arena, AE_DIMS, loc);
    int n = d[0] > 4 ? 4 : d[0];
    e->ndims = d[0];
    for (int i = 0; i < n; i++)
        e->dims[i] = d[1 + i];
    return e;
}
}

%union {
    char *str;
    fe_num num;
    int *dims;
    ast_expr *expr;
    ast_list *list;
    ast_stmt *stmt;
    ast_decl *decl;
    ast_param *param;
    int ival;
}

%token END 0 "end of file"
%token NL "end of line"
%token ARROW "'->'"
%token <str> IDENT "name"
%token <num> NUMBER "number"
%token <dims> DIMS "shape"
%token <str> BADNUM "malformed number"
%token <str> INVALID "invalid character"
%token KW_DATA "'data'" KW_LATENT "'latent'" KW_DEFAULTS "'defaults'"
%token KW_GENERATOR "'generator'" KW_DISCRIMINATOR "'discriminator'"
%token KW_CLASSIFIER "'classifier'" KW_TRAIN "'train'" KW_FOR "'for'" KW_IN "'in'"
%token KW_REPEAT "'repeat'" KW_LOSS "'loss'" KW_OPTIMIZER "'optimizer'" KW_EMA "'ema'"

%left '+' '-'
%left '*' '/'
%precedence NEG
%precedence '.'

%type <decl> decl data_decl latent_decl net_decl train_decl
%type <list> data_items ident_list ident_list_ne stmts args arg_list words dwords
%type <list> params params_ne heads train_items kind_list wexpr_list wexpr_list_ne lexpr_list
%type <stmt> data_item stmt defaults_stmt train_item
%type <expr> wexpr lexpr pipe sum prim layer ptype snum
%type <param> param
%type <ival> role

%%

file
    : %empty                    { }
    | file decl                 { if ($2) ctx->file->decls = ast_list_push(A, ctx->file->decls, $2); }
    | file NL
    | file ';'
    | file error NL             { yyerrok; }
    | file error '}'            { yyerrok; }
    ;

decl
    : data_decl
    | latent_decl
    | defaults_stmt             { $$ = ast_decl_new(A, AD_DEFAULTS, @1); $$->defaults = $1; }
    | net_decl
    | train_decl
    ;

/* ---- data ---- */
data_decl
    : KW_DATA IDENT '{' data_items '}'  { $$ = ast_decl_new(A, AD_DATA, @$); $$->name = $2; $$->name_loc = @2; $$->body = $4; }
    | KW_DATA '{' data_items '}'        { $$ = ast_decl_new(A, AD_DATA, @$); $$->name = "data"; $$->name_loc = @1; $$->body = $3; }
    ;

data_items
    : %empty                    { $$ = ast_list_new(A); }
    | data_items data_item      { $$ = ast_list_push(A, $1, $2); }
    | data_items NL             { $$ = $1; }
    | data_items ','            { $$ = $1; }
    | data_items error NL       { $$ = $1; yyerrok; }
    ;

data_item
    : IDENT DIMS                { $$ = ast_stmt_new(A, AS_DATA_ITEM, @$); $$->name = $1; $$->name_loc = @1; $$->value = mk_dims(ctx, $2, @2); }
    | IDENT NUMBER              { $$ = ast_stmt_new(A, AS_DATA_ITEM, @$); $$->name = $1; $$->name_loc = @1; $$->value = mk_num(ctx, $2, @2); }
    | IDENT '[' snum ',' snum ']'
        { $$ = ast_stmt_new(A, AS_DATA_ITEM, @$); $$->name = $1; $$->name_loc = @1;
          $$->values = ast_list_push(A, ast_list_push(A, NULL, $3), $5); $$->value = ast_expr_new(A, AE_NUM, @2); $$->value->loc = fe_loc_join(@2, @6); }
    | IDENT '[' ident_list ']'  { $$ = ast_stmt_new(A, AS_DATA_ITEM, @$); $$->name = $1; $$->name_loc = @1; $$->values = $3; }
    | IDENT IDENT '[' ident_list ']'
        { $$ = ast_stmt_new(A, AS_DATA_ITEM, @$); $$->name = $1; $$->name_loc = @1; $$->modifier = $2; $$->modifier_loc = @2; $$->values = $4; }
    ;

snum
    : NUMBER                    { $$ = mk_num(ctx, $1, @1); }
    | '-' NUMBER                { fe_num n = $2; n.v = -n.v; $$ = mk_num(ctx, n, @$); }
    ;

ident_list
    : %empty                    { $$ = ast_list_new(A); }
    | ident_list_ne
    | ident_list_ne ','
    ;
ident_list_ne
    : IDENT                     { $$ = ast_list_push(A, NULL, mk_ident(ctx, $1, @1)); }
    | ident_list_ne ',' IDENT   { $$ = ast_list_push(A, $1, mk_ident(ctx, $3, @3)); }
    ;

/* ---- latent ---- */
latent_decl
    : KW_LATENT IDENT ':' NUMBER '~' IDENT
        { $$ = ast_decl_new(A, AD_LATENT, @$); $$->name = $2; $$->name_loc = @2; $$->size = mk_num(ctx, $4, @4); $$->dist = $6; $$->dist_loc = @6; }
    | KW_LATENT IDENT ':' NUMBER
        { $$ = ast_decl_new(A, AD_LATENT, @$); $$->name = $2; $$->name_loc = @2; $$->size = mk_num(ctx, $4, @4); }
    ;

/* ---- defaults (top level or inside a network) ---- */
defaults_stmt
    : KW_DEFAULTS kind_list '{' dwords '}'
        { $$ = ast_stmt_new(A, AS_DEFAULTS, @$); $$->kinds = $2; $$->words = $4; }
    ;
kind_list
    : IDENT                     { $$ = ast_list_push(A, NULL, mk_ident(ctx, $1, @1)); }
    | kind_list ',' IDENT       { $$ = ast_list_push(A, $1, mk_ident(ctx, $3, @3)); }
    ;
dwords
    : %empty                    { $$ = ast_list_new(A); }
    | dwords wexpr              { $$ = ast_list_push(A, $1, $2); }
    | dwords NL                 { $$ = $1; }
    | dwords ','                { $$ = $1; }
    ;

/* ---- networks ---- */
role
    : KW_GENERATOR              { $$ = 0; }
    | KW_DISCRIMINATOR          { $$ = 1; }
    | KW_CLASSIFIER             { $$ = 2; }
    ;

net_decl
    : role IDENT '(' params ')' ARROW heads '{' stmts '}'
        { $$ = ast_decl_new(A, AD_NET, @$); $$->role = $1; $$->name = $2; $$->name_loc = @2;
          $$->params = $4; $$->heads = $7; $$->body = $9;
          $$->single_head = $7->n == 1 && !strcmp(((ast_param *)$7->v[0])->name, "out") && ((ast_param *)$7->v[0])->loc.start < 0;
          if ($$->single_head) ((ast_param *)$7->v[0])->loc = ((ast_param *)$7->v[0])->type->loc; }
    ;

params
    : %empty                    { $$ = ast_list_new(A); }
    | params_ne
    ;
params_ne
    : param                     { $$ = ast_list_push(A, NULL, $1); }
    | params_ne ',' param       { $$ = ast_list_push(A, $1, $3); }
    ;
param
    : IDENT                     { $$ = ast_param_new(A, $1, @1, NULL); }
    | IDENT ':' ptype           { $$ = ast_param_new(A, $1, @1, $3); }
    ;
ptype
    : IDENT                     { $$ = mk_ident(ctx, $1, @1); }
    | NUMBER                    { $$ = mk_num(ctx, $1, @1); }
    | DIMS                      { $$ = mk_dims(ctx, $1, @1); }
    ;
heads
    : ptype                     { fe_loc none = {-1, -1}; $$ = ast_list_push(A, NULL, ast_param_new(A, "out", none, $1)); }
    | '(' params ')'            { $$ = $2; }
    ;

stmts
    : %empty                    { $$ = ast_list_new(A); }
    | stmts stmt                { $$ = ast_list_push(A, $1, $2); }
    | stmts NL                  { $$ = $1; }
    | stmts ';'                 { $$ = $1; }
    | stmts error NL            { $$ = $1; yyerrok; }
    ;

stmt
    : IDENT '=' pipe            { $$ = ast_stmt_new(A, AS_ASSIGN, @$); $$->name = $1; $$->name_loc = @1; $$->value = $3; }
    | KW_FOR IDENT KW_IN '[' wexpr_list ']' '{' stmts '}'
        { $$ = ast_stmt_new(A, AS_FOR, @$); $$->name = $2; $$->name_loc = @2; $$->values = $5; $$->body = $8; $$->loc = fe_loc_join(@1, @6); }
    | KW_REPEAT wexpr '{' stmts '}'
        { $$ = ast_stmt_new(A, AS_REPEAT, @$); $$->value = $2; $$->body = $4; $$->loc = fe_loc_join(@1, @2); }
    | defaults_stmt
    ;

wexpr_list
    : %empty                    { $$ = ast_list_new(A); }
    | wexpr_list_ne
    | wexpr_list_ne ','
    ;
wexpr_list_ne
    : wexpr                     { $$ = ast_list_push(A, NULL, $1); }
    | wexpr_list_ne ',' wexpr   { $$ = ast_list_push(A, $1, $3); }
    ;

/* A pipeline: a value, then layers applied left to right. '+' binds tighter than '|'. */
pipe
    : sum
    | pipe '|' layer            { $$ = ast_expr_new(A, AE_PIPE, @$); $$->a = $1; $$->b = $3; }
    ;
sum
    : prim
    | sum '+' prim              { $$ = mk_bin(ctx, '+', $1, $3, @$); }
    ;
prim
    : IDENT                     { $$ = mk_ident(ctx, $1, @1); }
    | IDENT '(' args ')'        { $$ = mk_call(ctx, $1, @1, $3, @$); }
    | '(' pipe ')'              { $$ = $2; }
    ;
layer
    : IDENT                     { $$ = mk_ident(ctx, $1, @1); }
    | IDENT '(' args ')'        { $$ = mk_call(ctx, $1, @1, $3, @$); }
    ;

/* Arguments: comma-separated groups of words ("f", "kernel 3", "stride 2 padding same");
 * the checker splits a group into options by the layer's option names. */
args
    : %empty                    { $$ = ast_list_new(A); }
    | arg_list
    ;
arg_list
    : words                     { $$ = ast_list_push(A, NULL, $1); }
    | arg_list ',' words        { $$ = ast_list_push(A, $1, $3); }
    ;
words
    : wexpr                     { $$ = ast_list_push(A, NULL, $1); }
    | words wexpr               { $$ = ast_list_push(A, $1, $2); }
    ;
wexpr
    : NUMBER                    { $$ = mk_num(ctx, $1, @1); }
    | IDENT                     { $$ = mk_ident(ctx, $1, @1); }
    | IDENT '(' args ')'        { $$ = mk_call(ctx, $1, @1, $3, @$); }
    | wexpr '*' wexpr           { $$ = mk_bin(ctx, '*', $1, $3, @$); }
    | wexpr '/' wexpr           { $$ = mk_bin(ctx, '/', $1, $3, @$); }
    | wexpr '+' wexpr           { $$ = mk_bin(ctx, '+', $1, $3, @$); }
    | wexpr '-' wexpr           { $$ = mk_bin(ctx, '-', $1, $3, @$); }
    ;

/* ---- training ---- */
train_decl
    : KW_TRAIN '{' train_items '}'  { $$ = ast_decl_new(A, AD_TRAIN, @$); $$->body = $3; $$->loc = @1; }
    ;
train_items
    : %empty                    { $$ = ast_list_new(A); }
    | train_items train_item    { $$ = ast_list_push(A, $1, $2); }
    | train_items NL            { $$ = $1; }
    | train_items ';'           { $$ = $1; }
    | train_items error NL      { $$ = $1; yyerrok; }
    ;
train_item
    : IDENT NUMBER              { $$ = ast_stmt_new(A, AS_SETTING, @$); $$->name = $1; $$->name_loc = @1; $$->value = mk_num(ctx, $2, @2); }
    /* "lr_schedule cosine": parsed, so the checker can name the setting (and say it takes a number) */
    | IDENT IDENT               { $$ = ast_stmt_new(A, AS_SETTING, @$); $$->name = $1; $$->name_loc = @1; $$->value = mk_ident(ctx, $2, @2); }
    | KW_LOSS IDENT '=' lexpr   { $$ = ast_stmt_new(A, AS_LOSS, @$); $$->name = $2; $$->name_loc = @2; $$->value = $4; }
    | KW_OPTIMIZER IDENT '=' IDENT '(' args ')'
        { $$ = ast_stmt_new(A, AS_OPTIMIZER, @$); $$->name = $2; $$->name_loc = @2; $$->value = mk_call(ctx, $4, @4, $6, fe_loc_join(@4, @7)); }
    | KW_EMA IDENT NUMBER       { $$ = ast_stmt_new(A, AS_EMA, @$); $$->name = $2; $$->name_loc = @2; $$->value = mk_num(ctx, $3, @3); }
    ;

/* Loss expressions: weighted sums of loss functions of network calls. */
lexpr
    : NUMBER                    { $$ = mk_num(ctx, $1, @1); }
    | IDENT                     { $$ = mk_ident(ctx, $1, @1); }
    | IDENT '(' lexpr_list ')'  { $$ = ast_expr_new(A, AE_CALL, @$); $$->name = $1; $$->name_loc = @1; $$->args = $3; }
    | IDENT '(' ')'             { $$ = ast_expr_new(A, AE_CALL, @$); $$->name = $1; $$->name_loc = @1; $$->args = ast_list_new(A); }
    | lexpr '.' IDENT           { $$ = ast_expr_new(A, AE_FIELD, @$); $$->a = $1; $$->name = $3; $$->name_loc = @3; }
    | '(' lexpr ')'             { $$ = $2; }
    | '-' lexpr %prec NEG       { $$ = ast_expr_new(A, AE_NEG, @$); $$->a = $2; }
    | lexpr '*' lexpr           { $$ = mk_bin(ctx, '*', $1, $3, @$); }
    | lexpr '/' lexpr           { $$ = mk_bin(ctx, '/', $1, $3, @$); }
    | lexpr '+' lexpr           { $$ = mk_bin(ctx, '+', $1, $3, @$); }
    | lexpr '-' lexpr           { $$ = mk_bin(ctx, '-', $1, $3, @$); }
    ;
/* Each argument is a one-word group, so calls look the same to the checker everywhere. */
lexpr_list
    : lexpr                     { $$ = ast_list_push(A, NULL, ast_list_push(A, NULL, $1)); }
    | lexpr_list ',' lexpr      { $$ = ast_list_push(A, $1, ast_list_push(A, NULL, $3)); }
    ;

%%

static const char *tok_desc(yysymbol_kind_t k)
{
    return yysymbol_name(k);
}

/* A name where a declaration must start ("generater G(z) -> image {"): a did-you-mean, and
 * the rest of that declaration's block is skipped quietly (its errors would be knock-on). */
static int decl_keyword_error(const yypcontext_t *pctx, fe_parse_ctx *ctx, yysymbol_kind_t got,
                              const FE_YYLTYPE *loc)
{
    static const char *const kws[] = {"data", "latent", "defaults", "generator", "discriminator",
                                      "classifier", "train"};
    yysymbol_kind_t all[YYNTOKENS];
    int n = yypcontext_expected_tokens(pctx, all, YYNTOKENS), at_decl = 0;
    for (int i = 0; i < n; i++)
        at_decl |= all[i] == YYSYMBOL_KW_GENERATOR;
    if (got != YYSYMBOL_IDENT || !at_decl || !ctx->lex || loc->end - loc->start > 60)
        return 0;
    char name[64];
    snprintf(name, sizeof name, "%.*s", loc->end - loc->start, ctx->diag->src + loc->start);
    const char *s = fe_suggest(name, kws, 7);
    if (s)
        fe_error(ctx->diag, *loc, "unknown declaration '%s'; did you mean '%s'?", name, s);
    else
        fe_error(ctx->diag, *loc, "unknown declaration '%s' (a declaration starts with data, latent, "
                 "defaults, generator, discriminator, classifier or train)", name);
    ctx->lex->mute = 1;
    ctx->lex->mute_base = ctx->lex->bdepth;
    return 1;
}

static int yyreport_syntax_error(const yypcontext_t *pctx, void *scanner, fe_parse_ctx *ctx)
{
    (void)scanner;
    enum { MAXEXP = 6 };
    yysymbol_kind_t expected[MAXEXP];
    int n = yypcontext_expected_tokens(pctx, expected, MAXEXP);
    yysymbol_kind_t got = yypcontext_token(pctx);
    const FE_YYLTYPE *loc = yypcontext_location(pctx);
    char msg[512];
    int len = 0;
    if (got == YYSYMBOL_INVALID || got == YYSYMBOL_BADNUM) {
        const char *s = NULL; /* the token's text: from the source, by location */
        (void)s;
        const char *src = ctx->diag->src;
        unsigned char c = (unsigned char)src[loc->start];
        if (got == YYSYMBOL_BADNUM)
            len = snprintf(msg, sizeof msg, "malformed number '%.*s'", loc->end - loc->start, src + loc->start);
        else if (c >= 0x20 && c < 0x7f)
            len = snprintf(msg, sizeof msg, "unexpected character '%c'", c);
        else
            len = snprintf(msg, sizeof msg, "unexpected byte 0x%02x", c);
        fe_error(ctx->diag, *loc, "%s", msg);
        return 0;
    }
    struct fe_lex_state *lx = ctx->lex;
    if (lx && lx->mute)
        return 0; /* inside a declaration already reported as misspelled */
    if (decl_keyword_error(pctx, ctx, got, loc))
        return 0;
    len = snprintf(msg, sizeof msg, "syntax error: unexpected %s", tok_desc(got));
    if (n > 0 && n < MAXEXP) {
        for (int i = 0; i < n && len < (int)sizeof msg - 64; i++)
            len += snprintf(msg + len, sizeof msg - (size_t)len, "%s%s",
                            i == 0 ? ", expected " : i == n - 1 ? " or " : ", ", tok_desc(expected[i]));
    }
    /* An unclosed bracket explains a token that cannot appear inside one. */
    const char *gn = yysymbol_name(got);
    int outside_only = !strcmp(gn, "'|'") || !strcmp(gn, "'='") || !strcmp(gn, "'{'") || !strcmp(gn, "'}'") ||
                       got == YYSYMBOL_YYEOF || (got >= YYSYMBOL_KW_DATA && got <= YYSYMBOL_KW_EMA);
    if (lx && lx->depth > 0 && lx->depth <= FE_MAX_OPEN && outside_only && len < (int)sizeof msg - 100) {
        int l, c;
        int o = lx->open_at[lx->depth - 1];
        fe_line_col(ctx->diag, o, &l, &c);
        len += snprintf(msg + len, sizeof msg - (size_t)len, "; the '%c' at %d:%d is not closed", ctx->diag->src[o], l, c);
        fe_error(ctx->diag, *loc, "%s", msg);
        return 0;
    }
    /* A declaration keyword (or the end) inside a block: a '}' is missing. */
    int top_level = got == YYSYMBOL_YYEOF || (got >= YYSYMBOL_KW_DATA && got <= YYSYMBOL_KW_TRAIN);
    if (lx && lx->depth == 0 && lx->bdepth > 0 && lx->bdepth <= FE_MAX_OPEN && top_level &&
        len < (int)sizeof msg - 100) {
        int l, c;
        fe_line_col(ctx->diag, lx->brace_at[lx->bdepth - 1], &l, &c);
        snprintf(msg + len, sizeof msg - (size_t)len, "; the '{' at %d:%d is not closed", l, c);
        fe_error(ctx->diag, *loc, "%s", msg);
        return 0;
    }
    /* Hints for the two slips the newline rule invites. */
    const char *src = ctx->diag->src;
    int at = loc->start;
    if (n == 1 && !strcmp(yysymbol_name(expected[0]), "'='") && at > 0) {
        /* "x | flatten dense(1)": 'dense' was read as the start of a new statement */
        int p = at;
        while (p > 0 && (src[p - 1] == ' ' || src[p - 1] == '\t'))
            p--;
        int e = p;
        while (p > 0 && (isalnum((unsigned char)src[p - 1]) || src[p - 1] == '_'))
            p--;
        int q = p;
        while (q > 0 && (src[q - 1] == ' ' || src[q - 1] == '\t'))
            q--;
        if (e > p && q > 0 && q < p && src[q - 1] != '\n' && src[q - 1] != '{' && src[q - 1] != ';' && len < (int)sizeof msg - 100)
            snprintf(msg + len, sizeof msg - (size_t)len, "; is a '|' missing before '%.*s'?", e - p < 40 ? e - p : 40, src + p);
    } else if (!strcmp(yysymbol_name(got), "'|'")) {
        int p = at;
        while (p > 0 && (src[p - 1] == ' ' || src[p - 1] == '\t'))
            p--;
        if ((p == 0 || src[p - 1] == '\n') && len < (int)sizeof msg - 100)
            snprintf(msg + len, sizeof msg - (size_t)len, "; to continue a pipeline on the next line, end the line with '|'");
    }
    fe_error(ctx->diag, *loc, "%s", msg);
    return 0;
}
