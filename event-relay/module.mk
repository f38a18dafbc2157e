# event-relay: ring -> Redis stream.  It links common/ only: the ring
# reader and its waker (ring.o, ringwake.o) and the Redis connection
# (redisconn.o, redisurl.o), as any reader of the ring would.
RELAY_SRCS   := event-relay/relay.c
RELAY_LIB    := $(BUILD)/lib/librelay.a
MODULE_LIBS  += $(RELAY_LIB)
BINS         += $(BIN)/event-relay
INSTALL_BIN  += event-relay

$(RELAY_LIB): $(call objs,$(RELAY_SRCS))
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN)/event-relay: $(OBJ)/event-relay/event-relay.o $(RELAY_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(HIREDIS_LIBS) $(EVENT_LIBS) $(COMMON_LIBS) -lpthread
