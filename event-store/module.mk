# event-store and event-query: the SQLite store of every event, and its
# command-line reader.  libstore.a holds every event-store/*.c but the two
# mains, for the binaries, the unit tests and the store benchmark.  The
# read side, store_query.c, is in common/ so that ws-gateway can link it
# without anything of event-store.
#
# fill.c reads the journal with the router's journal_replay()
# (event-router/journal.c, in librouter.a): linked as it is, not copied,
# until it moves to common/ (the lead's call, with the router split).
STORE_MAINS := event-store/event-store.c event-store/event-query.c
STORE_SRCS  := $(filter-out $(STORE_MAINS),$(wildcard event-store/*.c))
STORE_LIB   := $(BUILD)/lib/libstore.a
MODULE_LIBS += $(STORE_LIB) $(ROUTER_LIB)
BINS        += $(BIN)/event-store $(BIN)/event-query
INSTALL_BIN += event-store event-query

$(OBJ)/event-store/fill.o: CPPFLAGS += -Ievent-router

$(STORE_LIB): $(call objs,$(STORE_SRCS))
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN)/event-store: $(OBJ)/event-store/event-store.o $(STORE_LIB) $(ROUTER_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(SQLITE_LIBS) $(COMMON_LIBS) -lpthread

# event-query pulls output.o from libstore.a and store_query.o from common/.
$(BIN)/event-query: $(OBJ)/event-store/event-query.o $(STORE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(SQLITE_LIBS) $(COMMON_LIBS)
