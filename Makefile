# ganc / ganrt. `make` builds both tools; `make check` runs the unit suite in the plain build,
# then the same suite under AddressSanitizer + UndefinedBehaviorSanitizer, then the
# integration tests (plain build only: long training runs do not belong under ASan).

CC      ?= cc
V       ?= release
BUILD_ROOT ?= build
# `make MPI=1`: ganrt with data-parallel training over Open MPI (docs/distributed.md), built
# apart in build/$(V)-mpi. Not detected: the plain build is the same on every machine, and
# MPI-free whatever is installed; `make check` builds and tests the MPI variant where Open MPI
# is found (mpi-check).
MPI     ?=
BUILD   := $(BUILD_ROOT)/$(V)$(if $(filter 1,$(MPI)),-mpi)
PKGS    := check openblas libpng
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN    := -Wall -Wextra -Werror
DEPCFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
DEPLIBS   = $(shell pkg-config --libs openblas libpng 2>/dev/null) -ljpeg -lz -lm -lpthread
CHECKLIBS = $(shell pkg-config --libs check 2>/dev/null)

# The dependency check runs before anything else is computed: the flags below come from
# pkg-config, which a fresh machine may not have yet. As root (with apt-get, and unless
# GAN_NO_AUTO_DEPS is set) it installs what is missing; anyone else is told what to install.
ifeq ($(filter deps clean uninstall,$(MAKECMDGOALS)),)
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
GEN     := $(BUILD)/gen
CFLAGS  := $(CSTD) $(OPT) $(WARN) $(VARIANT_WARN) -fopenmp -MMD -MP -I. -I$(BUILD)/grammar -I$(GEN) $(DEPCFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(OPT) -fopenmp
ifeq ($(MPI),1)
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null || mpicc --showme:compile)
DEPLIBS    += $(shell pkg-config --libs ompi-c 2>/dev/null || mpicc --showme:link)
$(BUILD)/runtime/train/dist_mpi.o: CFLAGS += $(MPI_CFLAGS)
endif

# Sources are found, not listed: a new file in a folder joins that folder's library.
# The folders are the pipeline (docs/architecture.md): common <- format <- compiler (ganc)
# and common <- format <- runtime (ganrt); cli/ holds the two programs. ganc never links the
# runtime and ganrt never links the compiler: each program is linked from its own archives only.
GRAMMAR_C  := $(BUILD)/grammar/parser.c $(BUILD)/grammar/lexer.c
COMMON_SRC := $(wildcard common/*.c)
FMT_SRC    := $(wildcard format/*.c)
COMP_SRC   := $(wildcard compiler/*.c)
# runtime/train/dist.h has two builds: dist_mpi.c (MPI=1) and dist_none.c
RT_SRC     := $(filter-out runtime/train/dist_$(if $(filter 1,$(MPI)),none,mpi).c,\
                $(wildcard runtime/*.c runtime/*/*.c))
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

.PHONY: all deps deps-check check lint unit asan-check integration bench demo clean \
        install uninstall man mpi-check dist-test fuzz fuzz-build fuzz-run fuzz-merge valgrind
.DEFAULT_GOAL := all

all: $(BUILD)/ganc $(BUILD)/ganrt
	@ln -sf $(BUILD)/ganc ganc; ln -sf $(BUILD)/ganrt ganrt

# Installs everything the build needs (Debian 12), whether missing or not. Any other goal
# runs tools/check-deps.sh first, which installs only what is missing, and only as root on a
# machine with apt-get (GAN_NO_AUTO_DEPS=1 turns that off); anyone else gets the apt-get line.
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
$(COMP_OBJ): | $(BUILD)/grammar/parser.h $(BUILD)/grammar/lexer.h $(LAYER_LIST)

# The list of layer kinds is generated from the kinds' own files (compiler/layers.h,
# LAYER_KIND_DEFINE). The script runs on every build (it is cheap) and replaces the header
# only when its text changes: a kind added or removed is seen even though no file got newer.
LAYER_LIST := $(GEN)/compiler/layer_list.h
$(LAYER_LIST): FORCE
	@sh tools/gen-layer-list.sh $@
.PHONY: FORCE
FORCE:

# `make V_CMD=1` shows the full command lines.
ifeq ($(V_CMD),1)
Q :=
else
Q := @
endif

$(BUILD)/%.o: %.c | $(LAYER_LIST)
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

# MPI= : Open MPI's own allocations are not ours to leak-check
asan-check:
	@$(MAKE) --no-print-directory BUILD_ROOT=$(BUILD_ROOT) V=asan MPI= unit

# The data-parallel tests (tests/test_dist.c: mpirun -np 2) against the MPI build, where Open
# MPI is installed; elsewhere a message says they were skipped.
mpi-check:
	@if pkg-config --exists ompi-c 2>/dev/null && command -v mpirun >/dev/null; then \
	    $(MAKE) --no-print-directory BUILD_ROOT=$(BUILD_ROOT) V=release MPI=1 dist-test; \
	else \
	    echo "mpi-check: skipped: Open MPI not found (apt-get install libopenmpi-dev openmpi-bin)"; \
	fi
dist-test: $(BUILD)/ganc $(BUILD)/ganrt $(BUILD)/tests/test_dist
	@echo "== $(BUILD)/tests/test_dist"; $(TEST_ENV) $(BUILD)/tests/test_dist

integration: $(BUILD)/ganc $(BUILD)/ganrt $(IT_BIN)
	@set -e; for t in $(IT_BIN); do echo "== $$t"; $(TEST_ENV) $$t; done

# The tree's own rules: folder dependencies (docs/architecture.md) and size limits.
lint:
	@sh tools/check-layout.sh
	@sh tools/check-size.sh
	@sh tests/check_tools.sh

check: lint
	@$(MAKE) --no-print-directory BUILD_ROOT=$(BUILD_ROOT) V=release unit
	@MAKE="$(MAKE)" BUILD_ROOT=$(BUILD_ROOT) sh tests/check_install.sh
	@$(MAKE) --no-print-directory BUILD_ROOT=$(BUILD_ROOT) asan-check
	@$(MAKE) --no-print-directory BUILD_ROOT=$(BUILD_ROOT) V=release integration
	@$(MAKE) --no-print-directory BUILD_ROOT=$(BUILD_ROOT) mpi-check

bench: $(BENCH_BIN) $(BUILD)/ganc $(BUILD)/ganrt
	@set -e; for b in $(BENCH_BIN); do echo "== $$b"; GANC=$(CURDIR)/$(BUILD)/ganc GANRT=$(CURDIR)/$(BUILD)/ganrt $$b; done

demo: all
	@sh tools/demo.sh

# `make install PREFIX=/usr/local DESTDIR=...`: the two tools, the shipped models, the man
# pages ganc(1), ganrt(1) and gan(5) (made from docs/ and the tools' --help texts) and bash
# completion. `make uninstall` with the same PREFIX and DESTDIR removes exactly those files.
PREFIX  ?= /usr/local
BINDIR  := $(DESTDIR)$(PREFIX)/bin
SHAREDIR := $(DESTDIR)$(PREFIX)/share
MODELDIR := $(SHAREDIR)/ganc/models
MAN_OUT := $(BUILD)/man
MAN_PAGES := $(MAN_OUT)/ganc.1 $(MAN_OUT)/ganrt.1 $(MAN_OUT)/gan.5
COMPL_OUT := $(BUILD)/completion
MODELS  := $(wildcard models/*.gan)

$(MAN_OUT)/gan.5: docs/language.md tools/md2man.sh tools/gen-man.sh common/version.h
	@mkdir -p $(@D); sh tools/gen-man.sh gan $(BUILD) $@
$(MAN_OUT)/%.1: $(BUILD)/ganc $(BUILD)/ganrt docs/man/%.md tools/md2man.sh tools/gen-man.sh
	@mkdir -p $(@D); sh tools/gen-man.sh $* $(BUILD) $@
$(COMPL_OUT)/ganrt: $(BUILD)/ganc $(BUILD)/ganrt tools/gen-completion.sh
	@sh tools/gen-completion.sh $(BUILD) $(COMPL_OUT)
man: $(MAN_PAGES)

install: all $(MAN_PAGES) $(COMPL_OUT)/ganrt
	install -d $(BINDIR) $(MODELDIR) $(SHAREDIR)/man/man1 $(SHAREDIR)/man/man5 \
	    $(SHAREDIR)/bash-completion/completions
	install -m 755 $(BUILD)/ganc $(BUILD)/ganrt $(BINDIR)/
	install -m 644 $(MODELS) $(MODELDIR)/
	install -m 644 $(MAN_OUT)/ganc.1 $(MAN_OUT)/ganrt.1 $(SHAREDIR)/man/man1/
	install -m 644 $(MAN_OUT)/gan.5 $(SHAREDIR)/man/man5/
	install -m 644 $(COMPL_OUT)/ganc $(COMPL_OUT)/ganrt $(SHAREDIR)/bash-completion/completions/

uninstall:
	rm -f $(BINDIR)/ganc $(BINDIR)/ganrt $(SHAREDIR)/man/man1/ganc.1 \
	    $(SHAREDIR)/man/man1/ganrt.1 $(SHAREDIR)/man/man5/gan.5 \
	    $(SHAREDIR)/bash-completion/completions/ganc $(SHAREDIR)/bash-completion/completions/ganrt \
	    $(addprefix $(MODELDIR)/,$(notdir $(MODELS)))
	-rmdir $(MODELDIR) $(SHAREDIR)/ganc 2>/dev/null

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
