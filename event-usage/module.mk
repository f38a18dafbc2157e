# event-usage: follows the ring, reads the transcripts hook events name, and
# sends usage events to the router (event-usage(8)).  libusage.a holds
# everything but main(), for the binary and the unit tests.
USAGE_SRCS := $(filter-out event-usage/event-usage.c,$(wildcard event-usage/*.c))
USAGE_LIB  := $(BUILD)/lib/libusage.a
MODULE_LIBS += $(USAGE_LIB)

$(OBJ)/event-usage/%.o: CPPFLAGS += -Ievent-usage

$(USAGE_LIB): $(call objs,$(USAGE_SRCS))
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

BINS        += $(BIN)/event-usage $(BUILD)/share/hookwire/prices.conf
INSTALL_BIN += event-usage

# No libevent: a futex wait on the ring (ring_wait) and blocking writes to
# the ingest socket, one thread.
$(BIN)/event-usage: $(OBJ)/event-usage/event-usage.o $(USAGE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(XXHASH_LIBS) $(COMMON_LIBS)

# The shipped price table where a binary in $(BIN) finds it (../share/hookwire),
# as it finds the installed one under $(DATADIR).
$(BUILD)/share/hookwire/prices.conf: contrib/prices.conf
	@mkdir -p $(@D)
	cp $< $@
