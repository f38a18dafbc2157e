# event-relay: ring -> Redis stream.  It reads the ring through ws-gateway's
# ring source (source.o: the waker thread and cursor calls; it brings
# source_redis.o along), named once there.
RELAY_SRCS   := event-relay/relay.c
RELAY_LIB    := $(BUILD)/lib/librelay.a
MODULE_LIBS  += $(RELAY_LIB)
BINS         += $(BIN)/event-relay
INSTALL_BIN  += event-relay

$(OBJ)/event-relay/%.o: CPPFLAGS += -Iws-gateway

$(RELAY_LIB): $(call objs,$(RELAY_SRCS))
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN)/event-relay: $(OBJ)/event-relay/event-relay.o $(RELAY_LIB) $(OBJ)/ws-gateway/source.o \
		$(OBJ)/ws-gateway/source_redis.o $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(HIREDIS_LIBS) $(EVENT_LIBS) $(COMMON_LIBS) -lpthread
