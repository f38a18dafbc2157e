# hookwire: top-level, non-recursive GNU Makefile.
#
# Each directory contributes a module.mk fragment that appends to the
# variables below; everything is built under $(BUILD) so that the normal
# build (build/) and the sanitizer build (build/asan/) live side by side.
#
#   make            build every binary into $(BUILD)/bin
#   make check      deps, normal build + tests, the ASan/UBSan build + tests,
#                   the portable build (PORTABLE=1) + tests, the clang build
#   make run        deps, build, start the whole pipeline in the foreground
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install missing Debian and npm packages

BUILD     ?= build
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share/hookwire
DOCDIR    ?= $(PREFIX)/share/doc/hookwire
DESTDIR   ?=
VERSION   := 0.1.0

CC        ?= cc
PKG_CONFIG ?= pkg-config

# Sanitizer build: make SANITIZE=1 BUILD=build/asan
SANITIZE  ?=
OPT       ?= -O2
WARN      := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter
CFLAGS    ?= $(OPT) -g
CFLAGS    += -std=gnu11 $(WARN) -fno-strict-aliasing
CPPFLAGS  += -D_GNU_SOURCE -DHOOKWIRE_VERSION='"$(VERSION)"' -DHOOKWIRE_DATADIR='"$(DATADIR)"' -Icommon
# Portable build: make PORTABLE=1 BUILD=build/portable (check-portable below).  Only what POSIX,
# macOS and FreeBSD offer, on Linux too, so that make check exercises the
# fallbacks (common/compat.h says which): scalar SIMD, the drain's polling
# timer, the ring's datagram wake-ups, no /proc.
PORTABLE  ?=
ifeq ($(PORTABLE),1)
CPPFLAGS  += -DHOOKWIRE_PORTABLE=1
endif
ifeq ($(SANITIZE),1)
CFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS   += -fsanitize=address,undefined
endif

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

# Per-library flags, so that each binary links only what it needs
# (hook-capture must not link libevent).
JSON_CFLAGS   := $(call pc_cflags,json-c)
JSON_LIBS     := $(call pc_libs,json-c)
BSD_CFLAGS    := $(call pc_cflags,libbsd-overlay)
BSD_LIBS      := $(call pc_libs,libbsd-overlay)
EVENT_LIBS    := $(call pc_libs,libevent) -levent_pthreads -levent_openssl
PCRE_LIBS     := $(call pc_libs,libpcre2-8)
SSL_LIBS      := $(call pc_libs,openssl)
YAML_LIBS     := $(call pc_libs,yaml-0.1)
XXHASH_LIBS   := $(call pc_libs,libxxhash)
HIREDIS_LIBS  := $(call pc_libs,hiredis)
SQLITE_LIBS   := $(call pc_libs,sqlite3)
ZLIB_LIBS     := $(call pc_libs,zlib)
CHECK_CFLAGS  := $(call pc_cflags,check)
CHECK_LIBS    := $(call pc_libs,check)
# musl (make CC=musl-gcc MUSL=1 BUILD=build/musl check-musl): musl-gcc sees
# musl's headers only, so json-c's and libyaml's (plain C, nothing of
# glibc's in them) come through links in $(BUILD)/include; no libbsd
# overlay (musl has strlcpy; compat.c and util.c stand in for the rest).
MUSL      ?=
ifeq ($(MUSL),1)
JSON_CFLAGS := -I$(BUILD)/include/json-c
BSD_CFLAGS  :=
CPPFLAGS    += -I$(BUILD)/include
endif
CPPFLAGS      += $(JSON_CFLAGS) $(BSD_CFLAGS)

OBJ := $(BUILD)/obj
BIN := $(BUILD)/bin

# Filled in by the module.mk fragments.
BINS       :=
UNIT_TESTS :=
MODULE_LIBS :=
FUZZERS    :=
MANPAGES   :=

.PHONY: all
all: bins

# $(call objs,SRCS): object files for the given sources.
objs = $(patsubst %.c,$(OBJ)/%.o,$(1))

$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

include common/module.mk
include hook-capture/module.mk
include event-router/module.mk
include ws-gateway/module.mk
include event-relay/module.mk
include event-usage/module.mk
include event-store/module.mk
include hookwire-config/module.mk
include tests/module.mk
include man/module.mk
include contrib/module.mk

.PHONY: bins
bins: $(BINS) $(BIN)/.hookwire-build-tree

# The mark hook-capture install looks for: binaries beside it are in a build
# tree (make clean removes them), not installed.
$(BIN)/.hookwire-build-tree:
	@mkdir -p $(@D)
	@echo "hookwire build tree: make install copies the tools elsewhere" >$@

# Keep intermediate objects (unit test objects are built by a pattern chain).
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------- deps
# deps installs what building, running and testing need; run-deps only what
# building and running need (make run).  The *-if-needed forms run the
# installer only when something is missing.
.PHONY: deps deps-if-needed run-deps run-deps-if-needed
deps:
	sh mk/deps.sh install test
deps-if-needed:
	@sh mk/deps.sh check test >/dev/null 2>&1 || sh mk/deps.sh install test
run-deps:
	sh mk/deps.sh install run
run-deps-if-needed:
	@sh mk/deps.sh check run >/dev/null 2>&1 || sh mk/deps.sh install run

# ---------------------------------------------------------------- check
.PHONY: check check-build check-asan check-portable check-clang check-musl
check: deps-if-needed
	@echo "[check $$(date +%T)] normal build: unit, man, integration, fuzz smoke"
	$(MAKE) check-build
	@echo "[check $$(date +%T)] sanitizer build: unit, integration"
	$(MAKE) SANITIZE=1 BUILD=build/asan check-asan
	@echo "[check $$(date +%T)] portable build (PORTABLE=1): unit, symbols, integration (short list)"
	$(MAKE) PORTABLE=1 BUILD=build/portable check-portable
	@echo "[check $$(date +%T)] clang build: unit"
	$(MAKE) CC=clang OPT=-O0 BUILD=build/clang check-clang
	@echo "[check $$(date +%T)] musl: hook-capture and event-tail compiled against musl"
	$(MAKE) CC=musl-gcc MUSL=1 BUILD=build/musl check-musl
	@echo "[check $$(date +%T)] all passed"

# The normal build runs everything: unit, man lint, integration, and a
# short pass of every fuzz target.
check-build: check-format bins test-unit test-man test-integration fuzz-smoke

# The sanitizer build runs the unit tests and the integration tests
# against sanitized binaries, less those whose C paths the others already
# cover and that are slow under ASan or test something else than memory:
# the browser tests, the soak, the load generator, the Python client (the
# node clients drive the same server paths), the supervisor script, the
# installation layout and the Debian package, the systemd units, the man
# pages, and two that exec hundreds of
# sanitized hook-captures (capture_concurrent: router_concurrent covers the
# router; attack_secrets: check_scrub and fuzz_scrub cover the scrubber).
ASAN_SKIP := test_dashboard.mjs test_attack_browser.mjs test_soak.mjs test_bench_loadgen.mjs \
	test_gw_api_python.py test_ops_supervisor.sh test_install.sh test_man_flags.sh \
	test_man_render.sh test_capture_concurrent.sh test_attack_secrets.mjs test_deb.sh \
	test_ops_systemd.sh test_dashboard_vendor.sh test_dashboard_history.mjs \
	test_dashboard_views.mjs test_dashboard_spend.mjs
check-asan: bins test-unit
	$(MAKE) SANITIZE=1 BUILD=$(BUILD) SKIP="$(ASAN_SKIP)" test-integration

# The portable build (make PORTABLE=1 BUILD=build/portable check-portable)
# runs the unit tests, tests/portable-symbols.sh, and the integration tests
# that go through the C paths PORTABLE=1 changes: the router's socket
# fallbacks and spool drain by timer (router_spool, capture_spool,
# capture_router, router_lifecycle, router_journal), the ring's datagram
# wake-ups in each kind of reader (tail_filters, tail_lapped: event-tail;
# gw_api_client, gw_coalesce, fault_gw_sigkill: ws-gateway with the official
# socket.io-client; store_lapped: event-store; relay_gateways: event-relay
# and the gateway's redis source, a pipe instead of an eventfd), and the
# scalar scanners in all of them.
PORTABLE_TESTS := test_router_spool.sh test_capture_spool.sh test_capture_router.sh \
	test_router_lifecycle.sh test_router_journal.sh test_tail_filters.sh test_tail_lapped.sh \
	test_gw_api_client.mjs test_gw_coalesce.mjs test_fault_gw_sigkill.mjs test_store_lapped.sh \
	test_relay_gateways.mjs
check-portable: bins test-unit
	sh tests/portable-symbols.sh $(BUILD)
	$(MAKE) PORTABLE=1 BUILD=$(BUILD) TESTS="$(PORTABLE_TESTS)" test-integration

# clang's warnings differ from gcc's: the tools and the unit tests, -Werror.
# make check builds it at -O0 (clang warns from its front end, whatever the
# optimisation; -O0 halves the time: 1 min instead of 1 min 48 s here).
check-clang: bins test-unit

# musl: every object hook-capture and event-tail are made of, compiled by
# musl-gcc with the warnings as errors (glibc-isms fail here).  Not linked:
# json-c and libyaml have no musl builds in Debian (Alpine has them), and
# nothing outside Debian's packages is fetched by make check.
MUSL_SRCS := hook-capture/hook-capture.c $(CAPTURE_SRCS) event-router/event-tail.c \
	event-router/tail.c $(filter-out common/redisconn.c common/store_query.c,$(COMMON_SRCS))
check-musl: $(call objs,$(MUSL_SRCS))
	@echo "musl: $(words $^) objects of hook-capture and event-tail compiled by $(CC)"
ifeq ($(MUSL),1)
$(call objs,$(MUSL_SRCS)): | $(BUILD)/include/yaml.h
$(BUILD)/include/yaml.h:
	@mkdir -p $(@D)
	ln -sfn $(shell $(PKG_CONFIG) --variable=includedir json-c)/json-c $(@D)/json-c
	ln -sf $(shell $(PKG_CONFIG) --variable=includedir yaml-0.1)/yaml.h $@
endif

# ---------------------------------------------------------------- run
.PHONY: run demo
run: run-deps-if-needed
	$(MAKE) bins
	HOOKWIRE_BUILD=$(abspath $(BUILD)) sh contrib/hookwire --bindir $(abspath $(BIN)) run

demo: bins
	HOOKWIRE_BUILD=$(abspath $(BUILD)) sh contrib/demo.sh $(abspath $(BIN))

# ---------------------------------------------------------------- install
.PHONY: install uninstall
# Every tool goes to BINDIR, daemons too: they run as the user (systemd
# --user, the supervisor), and the supervisor finds its stages beside itself.
install: bins
	install -d $(DESTDIR)$(BINDIR)
	for b in $(INSTALL_BIN); do install -m 0755 $(BIN)/$$b $(DESTDIR)$(BINDIR)/$$b; done
	$(MAKE) install-man install-data install-contrib

uninstall:
	for b in $(INSTALL_BIN); do rm -f $(DESTDIR)$(BINDIR)/$$b; done
	$(MAKE) uninstall-man uninstall-data uninstall-contrib

# ---------------------------------------------------------------- Debian package
# make deb: dpkg-buildpackage -us -uc -b on a copy of the tracked files in
# $(BUILD)/deb/hookwire-$(VERSION) (it writes its results to the parent
# directory, which is then $(BUILD)/deb, not the one above this tree).
.PHONY: deb
DEB_DIR := $(BUILD)/deb
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/hookwire-$(VERSION)
	git ls-files -z | xargs -0 cp --parents -t $(DEB_DIR)/hookwire-$(VERSION)
	cd $(DEB_DIR)/hookwire-$(VERSION) && dpkg-buildpackage -us -uc -b
	@ls $(DEB_DIR)/*.deb

# ---------------------------------------------------------------- misc
.PHONY: clean format check-format
clean:
	rm -rf build

# Every C file in the tree, in the shape .clang-format gives it.
FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find . -path ./build -prune -o -name node_modules -prune -o -name '*.[ch]' -print)
format:
	clang-format -i $(FORMAT_SRCS)
check-format:
	@clang-format --dry-run -Werror $(FORMAT_SRCS) && echo "format: $(words $(FORMAT_SRCS)) files as .clang-format shapes them"
