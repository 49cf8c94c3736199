#include <stdio.h>
int main(void) { puts("ganc: not yet"); return 0; }
