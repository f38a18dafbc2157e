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
