#include <stdio.h>
int main(void) { puts("ganrt: not yet"); return 0; }
