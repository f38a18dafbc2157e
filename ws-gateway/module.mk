# ws-gateway: the Socket.IO server.  Everything but main (ws-gateway.c) is
# in libgateway.a, so that unit tests and fuzz targets link the codecs and
# the server directly.  Events come through source.c, the interface, from
# one of its two implementations: source_ring.c (the local ring, read with
# common/'s ring and ringwake) or source_redis.c (a Redis stream, via
# common/redisconn).
GATEWAY_MAIN := ws-gateway/ws-gateway.c
GATEWAY_SRCS := $(filter-out $(GATEWAY_MAIN),$(wildcard ws-gateway/*.c))
GATEWAY_LIB  := $(BUILD)/lib/libgateway.a

$(GATEWAY_LIB): $(call objs,$(GATEWAY_SRCS))
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

MODULE_LIBS += $(GATEWAY_LIB)
BINS        += $(BIN)/ws-gateway
INSTALL_BIN += ws-gateway

$(BIN)/ws-gateway: $(call objs,$(GATEWAY_MAIN)) $(GATEWAY_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS) $(SSL_LIBS) $(HIREDIS_LIBS) $(SQLITE_LIBS) $(ZLIB_LIBS) $(COMMON_LIBS) -lpthread
