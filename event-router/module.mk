# event-router and event-tail.
# librouter.a holds every event-router/*.c but the two mains (the scrubber's
# files included, by the wildcard), for the binaries and the unit tests.
# SCRUB_SRCS: the scrubber alone, for the tools that link it without the
# router (scrub-bench; the fuzz target names them in its fuzz-srcs line).
ROUTER_MAINS := event-router/event-router.c event-router/event-tail.c
ROUTER_SRCS  := $(filter-out $(ROUTER_MAINS),$(wildcard event-router/*.c))
ROUTER_LIB   := $(BUILD)/lib/librouter.a
SCRUB_SRCS   := $(wildcard event-router/scrub*.c)
MODULE_LIBS  += $(ROUTER_LIB)
BINS         += $(BIN)/event-router $(BIN)/event-tail
INSTALL_BIN  += event-router event-tail

$(ROUTER_LIB): $(call objs,$(ROUTER_SRCS))
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN)/event-router: $(OBJ)/event-router/event-router.o $(ROUTER_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS) $(PCRE_LIBS) $(XXHASH_LIBS) $(COMMON_LIBS) -lpthread

# event-tail needs no libevent: only tail.o and common/ are pulled in
# (ring.o brings ringwake.o, hence -lpthread).
$(BIN)/event-tail: $(OBJ)/event-router/event-tail.o $(ROUTER_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(COMMON_LIBS) -lpthread
