# common/: the shared library.  A static archive, so each binary pulls only
# the objects it uses (hook-capture never pulls ring.o or libevent; only
# the binaries that use redisconn.o need hiredis and libevent, and those
# that use ring.o, which brings ringwake.o, -lpthread).
COMMON_SRCS := $(wildcard common/*.c)
# The ring's wake-ups (ringwake.h): the futex on Linux, datagrams elsewhere
# and in the portable build (make PORTABLE=1).
ifeq ($(PORTABLE)$(shell uname -s),Linux)
COMMON_SRCS := $(filter-out common/ringwake_dgram.c,$(COMMON_SRCS))
else
COMMON_SRCS := $(filter-out common/ringwake.c,$(COMMON_SRCS))
endif
COMMON_LIB  := $(BUILD)/lib/libhookwire.a

$(COMMON_LIB): $(call objs,$(COMMON_SRCS))
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# Libraries a binary that uses all of common/ needs.
COMMON_LIBS := $(JSON_LIBS) $(BSD_LIBS) $(YAML_LIBS) -lm
