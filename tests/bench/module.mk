# benchmarks: make bench
#
# `make bench` builds every binary and the bench tools below, then runs
# tests/bench/bench.py: hook-capture exec-to-exit (beside /bin/true and a
# bash+curl hook), router ingest, gateway fan-out beside the Node.js socket.io
# reference server, and scrub-bench; then relay-bench.sh, store-bench.sh
# (event-store beside the router and beside the gateway's fan-out; query
# latencies on STORE_BENCH_DB, the 10M-event store make store-bench-db
# builds once) and history-open-bench.mjs
# (the dashboard opening a 50,000-event session from the store).  It prints a table and writes
# $(BUILD)/bench/results.json.  BENCH_ARGS passes options to bench.py
# (e.g. BENCH_ARGS=--quick for a small run, BENCH_ARGS="--only capture" for
# hook-capture's section alone, without relay-bench, which make bench-capture
# runs; BENCH_ARGS="--profile DIR" for
# perf profiles of the servers and the router); tests/bench/bench.py --table
# FILE prints the table of a results.json again.
#
# scrub-bench: ns per 1 KiB event of the secret scrubber on a realistic mix
# (hookwire-scrub(5)).  Links the scrubber's sources (SCRUB_SRCS, named in
# event-router/module.mk) directly so that it builds before the router's
# archive exists.
SCRUB_BENCH := $(BIN)/scrub-bench
EXEC_BENCH := $(BIN)/exec-bench
INGEST_BENCH := $(BIN)/ingest-bench
SIO_LOAD := $(BIN)/sio-load
# floor: the kernel's price of a loopback send and of a wake-up, the floor
# under the gateway's fan-out figures (no hookwire code involved).
FLOOR := $(BIN)/floor
# ack-floor: the floor under hook-capture's start to ack (a fresh process,
# linked as hook-capture is, that only connects, sends and reads an ack from
# a bare epoll server).
ACK_FLOOR := $(BIN)/ack-floor
# cpu-burn: store-bench's control load, the store's share of a core taken in
# its rhythm with no I/O (what that CPU alone costs the router).
CPU_BURN := $(BIN)/cpu-burn
BENCH_TOOLS := $(SCRUB_BENCH) $(EXEC_BENCH) $(INGEST_BENCH) $(SIO_LOAD) $(FLOOR) $(ACK_FLOOR) \
	$(CPU_BURN)
BINS += $(SIO_LOAD)
INSTALL_BIN += sio-load # a load generator for operators (sio-load(1))

$(SCRUB_BENCH): $(call objs,tests/bench/scrub-bench.c $(SCRUB_SRCS) common/compat.c)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(JSON_LIBS) $(BSD_LIBS) $(PCRE_LIBS)

$(OBJ)/tests/bench/scrub-bench.o: CPPFLAGS += -Ievent-router

$(EXEC_BENCH): $(call objs,tests/bench/exec-bench.c)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(BSD_LIBS)

$(INGEST_BENCH): $(call objs,tests/bench/ingest-bench.c)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(BSD_LIBS)

$(FLOOR): $(call objs,tests/bench/floor.c)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(BSD_LIBS)

$(CPU_BURN): $(call objs,tests/bench/cpu-burn.c)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

$(ACK_FLOOR): $(call objs,tests/bench/ack-floor.c)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(CAPTURE_LDFLAGS) -o $@ $^ $(CAPTURE_LIBS)

$(SIO_LOAD): $(call objs,tests/bench/sio-load.c)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS) $(BSD_LIBS)

.PHONY: bench bench-capture bench-tools scrub-bench exec-bench

# bench-capture: section 1 alone (hook-capture beside /bin/true, its
# in-process start to ack for 1 KiB and the 166 KB Read payload), about
# ten seconds; the same as make bench BENCH_ARGS="--only capture".
bench-capture:
	$(MAKE) bench BENCH_ARGS="--only capture $(BENCH_ARGS)"

scrub-bench: $(SCRUB_BENCH)
	$(SCRUB_BENCH)

exec-bench: $(EXEC_BENCH)

bench: bins bench-tools
	python3 tests/bench/bench.py --bin $(abspath $(BIN)) --src $(CURDIR) \
		--out $(abspath $(BUILD))/bench/results.json $(BENCH_ARGS)
	@case "$(BENCH_ARGS)" in *--only*) echo "bench: --only: relay-bench and store-bench skipped" ;; \
	*) bash tests/bench/relay-bench.sh -n 50000 $(abspath $(BIN)) | tee $(abspath $(BUILD))/bench/relay.json && \
	   bash tests/bench/store-bench.sh -n 200000 $(if $(STORE_BENCH_DB),-q $(abspath $(STORE_BENCH_DB))) \
		$(abspath $(BIN)) | tee $(abspath $(BUILD))/bench/store.json && \
	   HOOKWIRE_BIN=$(abspath $(BIN)) HOOKWIRE_SRC=$(CURDIR) node tests/bench/history-open-bench.mjs \
		| tee $(abspath $(BUILD))/bench/history-open.log ;; esac

# history-open-bench: the dashboard opening a 50,000-event session that only
# the event store holds, in headless Chromium (first page, all loaded,
# drawn), beside the same get_history pages fetched from Node.
.PHONY: bench-history-open
bench-history-open: bins
	HOOKWIRE_BIN=$(abspath $(BIN)) HOOKWIRE_SRC=$(CURDIR) node tests/bench/history-open-bench.mjs

# router-cpu: the router's CPU per event without sockets (router_line() and
# router_commit() on prepared lines); run under callgrind for instruction
# counts that compare across versions (perf engineer).
ROUTER_CPU := $(BIN)/router-cpu
BENCH_TOOLS += $(ROUTER_CPU)

$(ROUTER_CPU): $(OBJ)/tests/bench/router-cpu.o $(ROUTER_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PCRE_LIBS) $(XXHASH_LIBS) $(COMMON_LIBS) -lpthread

$(OBJ)/tests/bench/router-cpu.o: CPPFLAGS += -Ievent-router

# store-gen: realistic canonical events for the store benchmarks
# (store-bench.sh): NDJSON, journal segments, or a database written through
# event-store's own writer.
STORE_GEN := $(BIN)/store-gen
BENCH_TOOLS += $(STORE_GEN)

$(STORE_GEN): $(OBJ)/tests/bench/store-gen.o $(STORE_LIB) $(ROUTER_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(SQLITE_LIBS) $(COMMON_LIBS)

$(OBJ)/tests/bench/store-gen.o: CPPFLAGS += -Ievent-store

# store-query-bench: latencies of the store's read API on a database
# (store-bench.sh runs it on the 10M-event store that store-gen builds).
STORE_QUERY_BENCH := $(BIN)/store-query-bench
BENCH_TOOLS += $(STORE_QUERY_BENCH)

$(STORE_QUERY_BENCH): $(OBJ)/tests/bench/store-query-bench.o $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(SQLITE_LIBS) $(COMMON_LIBS)

# store-bench-db: the 10-million-event store the query bars are measured on
# (store-bench.sh -q; make bench STORE_BENCH_DB=build/bench/store-10m.db).
# Built once, through event-store's own writer and full-text index: 13
# minutes (5.5 storing, 7.6 indexing; 2026-12-07), then about 2 more to
# merge its full tables' segments (13 us an event on 1M), and 30 GB on the
# 2-core bench machine; not rebuilt when it exists, never committed.
STORE_BENCH_DB_DEFAULT := $(BUILD)/bench/store-10m.db
.PHONY: store-bench-db
store-bench-db: $(STORE_GEN)
	@mkdir -p $(BUILD)/bench
	test -e $(STORE_BENCH_DB_DEFAULT) || $(STORE_GEN) -n 10000000 -D 30 -d $(STORE_BENCH_DB_DEFAULT)

# last, after every BENCH_TOOLS += above: a rule's prerequisites are
# expanded where the rule is read
bench-tools: $(BENCH_TOOLS)
