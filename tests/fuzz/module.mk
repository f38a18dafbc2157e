# libFuzzer targets (clang, ASan + UBSan): tests/fuzz/fuzz_<name>.c.
# Each target names the sources it links in a line of its own:
#   /* fuzz-srcs: common/ndjson.c common/event.c */
# on one line (a glob such as event-router/scrub*.c is expanded by make).
# Seed corpora: tests/fuzz/corpus/<name>/.  `make fuzz` runs each target for
# FUZZ_SECONDS; `make fuzz-smoke` (part of make check) for FUZZ_SMOKE_SECONDS.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_SRCS_ALL := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS_ALL))
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -DHOOKWIRE_VERSION='"fuzz"' -DHOOKWIRE_DATADIR='"."' -Icommon -Ievent-router \
	-Iws-gateway -Ihook-capture -Ievent-usage -Ievent-store $(JSON_CFLAGS) $(BSD_CFLAGS)
fuzz_srcs = $(shell sed -n 's|^/\* fuzz-srcs: \(.*\) \*/|\1|p' $(1))

.SECONDEXPANSION:
$(BUILD)/fuzz/%: tests/fuzz/%.c $$(call fuzz_srcs,tests/fuzz/%.c)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(JSON_LIBS) $(BSD_LIBS) $(PCRE_LIBS) $(YAML_LIBS) $(SSL_LIBS) $(XXHASH_LIBS) $(SQLITE_LIBS) -lm

.PHONY: fuzz fuzz-smoke fuzz-build
fuzz-build: $(FUZZERS)
fuzz: $(FUZZERS)
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)
fuzz-smoke: $(FUZZERS)
	@sh tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZERS)
