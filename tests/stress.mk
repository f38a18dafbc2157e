# tests/stress.mk: the reliability suite (faults, floods, bad input, attacks,
# soak: tests/integration/test_{fault,flood,badinput,attack,soak}_*).
#   make reliab   short, bounded versions (what make check runs; < 4 min)
#   make stress   the long versions: HOOKWIRE_STRESS=1 (300 clients through
#                 gateway kills, 1000 hook-capture processes at once, 10,000
#                 connections churned, a 30-minute soak at 500 events/s with
#                 200 clients, ...); figures as "FIGURE <name> <value>" lines
RELIAB_TESTS = $(notdir $(sort $(wildcard tests/integration/test_fault_* \
	tests/integration/test_flood_* tests/integration/test_badinput_* \
	tests/integration/test_attack_* tests/integration/test_soak*)))
STRESS_TIMEOUT ?= 3600

.PHONY: reliab stress
reliab: bins
	@HOOKWIRE_BIN=$(abspath $(BIN)) HOOKWIRE_SRC=$(CURDIR) TEST_TIMEOUT=300 \
	    TESTS="$(RELIAB_TESTS)" sh tests/integration/run.sh

stress: bins
	@HOOKWIRE_STRESS=1 HOOKWIRE_BIN=$(abspath $(BIN)) HOOKWIRE_SRC=$(CURDIR) \
	    TEST_TIMEOUT=$(STRESS_TIMEOUT) TESTS="$(RELIAB_TESTS)" sh tests/integration/run.sh
