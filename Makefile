# ganc / ganrt. `make` builds both tools; `make check` runs the unit suite in the plain build,
# then the same suite under AddressSanitizer + UndefinedBehaviorSanitizer, then the
# integration tests (plain build only: long training runs do not belong under ASan).

CC      ?= cc
V       ?= release
BUILD_ROOT ?= build
BUILD   := $(BUILD_ROOT)/$(V)
PKGS    := check openblas libpng
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN    := -Wall -Wextra -Werror
DEPCFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
DEPLIBS   = $(shell pkg-config --libs openblas libpng 2>/dev/null) -ljpeg -lz -lm -lpthread
CHECKLIBS = $(shell pkg-config --libs check 2>/dev/null)

# The dependency check runs before anything else is computed: the flags below come from
# pkg-config, which a fresh machine may not have yet. As root it installs what is missing.
ifeq ($(filter deps clean,$(MAKECMDGOALS)),)
ifneq ($(shell sh tools/check-deps.sh >&2; echo $$?),0)
$(error build dependencies missing (see above))
endif
endif

ifeq ($(V),asan)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
else ifeq ($(V),fuzz)
# clang only (make fuzz sets CC): every library object carries the coverage counters. The
# two warnings are clang's about GCC-only pragmas and its vectorizer, not about the code.
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
       -fno-sanitize-recover=all
VARIANT_WARN := -Wno-unknown-pragmas -Wno-pass-failed
else
OPT := -O2 -g
endif
CFLAGS  := $(CSTD) $(OPT) $(WARN) $(VARIANT_WARN) -fopenmp -MMD -MP -I. -I$(BUILD)/grammar $(DEPCFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(OPT) -fopenmp

# Sources are found, not listed: a new file in a folder joins that folder's library.
# The folders are the pipeline (docs/architecture.md): common <- format <- compiler (ganc)
# and common <- format <- runtime (ganrt); cli/ holds the two programs. ganc never links the
# runtime and ganrt never links the compiler: each program is linked from its own archives only.
GRAMMAR_C  := $(BUILD)/grammar/parser.c $(BUILD)/grammar/lexer.c
COMMON_SRC := $(wildcard common/*.c)
FMT_SRC    := $(wildcard format/*.c)
COMP_SRC   := $(wildcard compiler/*.c)
RT_SRC     := $(wildcard runtime/*.c runtime/*/*.c)
GANC_SRC   := cli/ganc_main.c
GANRT_SRC  := $(filter-out %_main.c,$(wildcard cli/*.c))
COMMON_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(COMMON_SRC))
FMT_OBJ    := $(patsubst %.c,$(BUILD)/%.o,$(FMT_SRC))
COMP_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(COMP_SRC)) $(GRAMMAR_C:.c=.o)
RT_OBJ     := $(patsubst %.c,$(BUILD)/%.o,$(RT_SRC))
GANRT_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(GANRT_SRC))
CORE_LIBS  := $(BUILD)/libganfmt.a $(BUILD)/libgancommon.a
TEST_SRC   := $(wildcard tests/test_*.c)
TEST_BIN   := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
IT_SRC     := $(wildcard tests/it_*.c)
IT_BIN     := $(patsubst tests/%.c,$(BUILD)/tests/%,$(IT_SRC))
TEST_UTIL  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/util/*.c))
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BIN  := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
# fuzz/: one target per input format (docs/fuzzing.md). fuzz_<name>.c holds the entry logic,
# shared by the libFuzzer drivers (lf_main.c, built once per target) and test_fuzz_regress.
FUZZ_NAMES := gan model ckpt attrs image
FUZZ_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(filter-out fuzz/lf_main.c,$(wildcard fuzz/*.c)))
FUZZ_BIN   := $(patsubst %,$(BUILD)/fuzz/bin/fuzz_%,$(FUZZ_NAMES))
FUZZ_SECONDS ?= 60

.PHONY: all deps deps-check check lint unit asan-check integration bench demo clean fuzz \
        fuzz-build fuzz-run fuzz-merge valgrind
.DEFAULT_GOAL := all

all: $(BUILD)/ganc $(BUILD)/ganrt
	@ln -sf $(BUILD)/ganc ganc; ln -sf $(BUILD)/ganrt ganrt

# Installs what the build needs (Debian 12). `make` alone never installs anything.
DEB_PKGS := gcc make flex bison pkg-config libopenblas-dev check libpng-dev libjpeg-dev zlib1g-dev
deps:
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEB_PKGS)

deps-check:
	@sh tools/check-deps.sh

$(BUILD)/libgancommon.a: $(COMMON_OBJ)
	@mkdir -p $(@D); rm -f $@; ar rcs $@ $^
$(BUILD)/libganfmt.a: $(FMT_OBJ)
	@mkdir -p $(@D); rm -f $@; ar rcs $@ $^
$(BUILD)/libganc.a: $(COMP_OBJ)
	@mkdir -p $(@D); rm -f $@; ar rcs $@ $^
$(BUILD)/libganrt.a: $(RT_OBJ)
	@mkdir -p $(@D); rm -f $@; ar rcs $@ $^

$(BUILD)/ganc: $(BUILD)/cli/ganc_main.o $(BUILD)/libganc.a $(CORE_LIBS)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lz -lm
$(BUILD)/libgancli.a: $(GANRT_OBJ)
	@mkdir -p $(@D); rm -f $@; ar rcs $@ $^
$(BUILD)/ganrt: $(BUILD)/cli/ganrt_main.o $(BUILD)/libgancli.a $(BUILD)/libganrt.a $(CORE_LIBS)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(DEPLIBS)

$(BUILD)/grammar/parser.c $(BUILD)/grammar/parser.h: grammar/parser.y
	@mkdir -p $(@D)
	bison -Wall -Werror --defines=$(BUILD)/grammar/parser.h -o $(BUILD)/grammar/parser.c $<
$(BUILD)/grammar/lexer.c $(BUILD)/grammar/lexer.h: grammar/lexer.l $(BUILD)/grammar/parser.h
	@mkdir -p $(@D)
	flex --header-file=$(BUILD)/grammar/lexer.h -o $(BUILD)/grammar/lexer.c $<
# Generated code is not ours to lint: keep -Werror off its unused-function noise.
$(BUILD)/grammar/%.o: $(BUILD)/grammar/%.c
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -Wno-unused-function -Wno-sign-compare -Wno-unused-parameter -c -o $@ $<
$(COMP_OBJ): | $(BUILD)/grammar/parser.h $(BUILD)/grammar/lexer.h

# `make V_CMD=1` shows the full command lines.
ifeq ($(V_CMD),1)
Q :=
else
Q := @
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_UTIL) $(BUILD)/libganc.a $(BUILD)/libgancli.a $(BUILD)/libganrt.a $(CORE_LIBS)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(DEPLIBS) $(CHECKLIBS)
# The regression suite replays fuzz/regress/ through the targets' own entry points.
$(BUILD)/tests/test_fuzz_regress: $(BUILD)/tests/test_fuzz_regress.o $(FUZZ_OBJ) $(TEST_UTIL) $(BUILD)/libganc.a $(BUILD)/libgancli.a $(BUILD)/libganrt.a $(CORE_LIBS)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(DEPLIBS) $(CHECKLIBS)
# Each driver is lf_main.c compiled for its target (no dependency file: -MMD would name it
# after the binary, and the tree-wide `-include` of *.d would then try to remake it).
$(BUILD)/fuzz/bin/fuzz_%: fuzz/lf_main.c fuzz/fuzz.h $(FUZZ_OBJ) $(BUILD)/libganc.a $(BUILD)/libganrt.a $(CORE_LIBS)
	@mkdir -p $(@D); $(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -DFUZZ_ONE=fuzz_$*_one -fsanitize=fuzzer -o $@ \
	    fuzz/lf_main.c $(filter-out %.c %.h,$^) $(DEPLIBS)
$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libganc.a $(BUILD)/libganrt.a $(CORE_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(DEPLIBS)

# Each test binary is a Check suite; it finds the tools through GANC / GANRT.
TEST_ENV = GANC=$(CURDIR)/$(BUILD)/ganc GANRT=$(CURDIR)/$(BUILD)/ganrt GAN_BUILD=$(CURDIR)/$(BUILD) \
           OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1
unit: $(BUILD)/ganc $(BUILD)/ganrt $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $(TEST_ENV) $$t; done

asan-check:
	@$(MAKE) --no-print-directory BUILD_ROOT=$(BUILD_ROOT) V=asan unit

integration: $(BUILD)/ganc $(BUILD)/ganrt $(IT_BIN)
	@set -e; for t in $(IT_BIN); do echo "== $$t"; $(TEST_ENV) $$t; done

# The tree's own rules: folder dependencies (docs/architecture.md) and size limits.
lint:
	@sh tools/check-layout.sh
	@sh tools/check-size.sh
	@sh tests/check_tools.sh

check: lint
	@$(MAKE) --no-print-directory BUILD_ROOT=$(BUILD_ROOT) V=release unit
	@$(MAKE) --no-print-directory BUILD_ROOT=$(BUILD_ROOT) asan-check
	@$(MAKE) --no-print-directory BUILD_ROOT=$(BUILD_ROOT) V=release integration

bench: $(BENCH_BIN) $(BUILD)/ganc $(BUILD)/ganrt
	@set -e; for b in $(BENCH_BIN); do echo "== $$b"; GANC=$(CURDIR)/$(BUILD)/ganc GANRT=$(CURDIR)/$(BUILD)/ganrt $$b; done

demo: all
	@sh tools/demo.sh

# The unit suite, then ganc and ganrt themselves, under valgrind memcheck (tools/valgrind.sh,
# tools/valgrind-tools.sh, suppressions in tools/valgrind.supp): any report fails. Not part of
# `make check`: the whole suite takes about half an hour under memcheck (docs/fuzzing.md).
valgrind: $(BUILD)/ganc $(BUILD)/ganrt $(TEST_BIN)
	@$(TEST_ENV) sh tools/valgrind.sh $(TEST_BIN)
	@sh tools/valgrind-tools.sh $(BUILD)/ganc $(BUILD)/ganrt

# libFuzzer + ASan + UBSan (clang 14): each target runs FUZZ_SECONDS from its corpus in
# fuzz/corpus/<name>/ (read only: new inputs go to build/fuzz/work/<name>/, crashes to
# build/fuzz/artifacts/<name>/). `make fuzz-merge` minimizes the work back into the corpus.
FUZZ_FLAGS = -rss_limit_mb=2560 -timeout=20 -print_final_stats=1
fuzz:
	@$(MAKE) --no-print-directory BUILD_ROOT=$(BUILD_ROOT) V=fuzz CC=clang fuzz-run
fuzz-build: $(FUZZ_BIN)
fuzz-run: fuzz-build
	@set -e; for n in $(FUZZ_NAMES); do \
	    mkdir -p $(BUILD)/fuzz/work/$$n $(BUILD)/fuzz/artifacts/$$n; \
	    echo "== fuzz_$$n for $(FUZZ_SECONDS) s"; \
	    dict=; [ -f fuzz/$$n.dict ] && dict=-dict=fuzz/$$n.dict; \
	    $(BUILD)/fuzz/bin/fuzz_$$n $(FUZZ_FLAGS) $$dict -max_total_time=$(FUZZ_SECONDS) \
	        -artifact_prefix=$(BUILD)/fuzz/artifacts/$$n/ $(BUILD)/fuzz/work/$$n fuzz/corpus/$$n; \
	done
# Adds to each corpus (its files kept) the inputs of the work folder that bring new features,
# smallest first, and prints the corpus size: keep it within docs/fuzzing.md's budget.
fuzz-merge:
	@$(MAKE) --no-print-directory BUILD_ROOT=$(BUILD_ROOT) V=fuzz CC=clang fuzz-build
	@set -e; F=$(BUILD_ROOT)/fuzz/fuzz; for n in $(FUZZ_NAMES); do \
	    mkdir -p fuzz/corpus/$$n $$F/work/$$n; \
	    $$F/bin/fuzz_$$n -merge=1 fuzz/corpus/$$n $$F/work/$$n 2>&1 | grep MERGE-OUTER || true; \
	    echo "fuzz/corpus/$$n: $$(ls fuzz/corpus/$$n | wc -l) files, $$(cat fuzz/corpus/$$n/* | wc -c) bytes"; \
	done

clean:
	rm -rf build ganc ganrt

-include $(shell find build -name '*.d' 2>/dev/null)
