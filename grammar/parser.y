/* placeholder until the front end lands */
%define api.pure full
%{
int yylex(void *lval);
void yyerror(const char *s);
%}
%token END 0
%%
start: %empty ;
%%
