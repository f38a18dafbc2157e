# tests/: Check unit tests (tests/unit/check_*.c, one per module) and the
# integration runner (tests/integration/test_*.{sh,py,mjs}; TESTS= names a
# selection, SKIP= names tests not to run).
#
# Every unit test links the module archives below; a static archive only
# contributes the objects a test uses.
UNIT_SRCS  := $(wildcard tests/unit/check_*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BIN)/tests/%,$(UNIT_SRCS))
TEST_ARCHIVES = $(MODULE_LIBS) $(COMMON_LIB)
TEST_LIBS  = $(CHECK_LIBS) $(EVENT_LIBS) $(PCRE_LIBS) $(SSL_LIBS) $(XXHASH_LIBS) $(HIREDIS_LIBS) $(SQLITE_LIBS) $(ZLIB_LIBS) $(COMMON_LIBS) -lpthread

$(BIN)/tests/%: $(OBJ)/tests/unit/%.o $(TEST_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(TEST_ARCHIVES) $(TEST_LIBS)

$(OBJ)/tests/unit/%.o: CPPFLAGS += $(CHECK_CFLAGS) -Ihook-capture -Ievent-router -Iws-gateway -Ievent-usage -Ievent-store

.PHONY: test-unit test-integration
test-unit: $(UNIT_TESTS)
	@sh tests/unit/run.sh $(UNIT_TESTS)

test-integration: bins $(UNIT_TESTS)
	@HOOKWIRE_BIN=$(abspath $(BIN)) HOOKWIRE_SRC=$(CURDIR) SKIP="$(SKIP)" TESTS="$(TESTS)" sh tests/integration/run.sh

include tests/fuzz/module.mk
include tests/bench/module.mk

include tests/stress.mk
