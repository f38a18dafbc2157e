# hook-capture: links common/ without libevent (json-c, libbsd, libyaml only).
# libcapture.a holds everything but main(), for the unit tests.
CAPTURE_SRCS := hook-capture/capture.c hook-capture/deliver.c hook-capture/context.c \
	hook-capture/install.c hook-capture/settings.c
CAPTURE_LIB  := $(BUILD)/lib/libcapture.a

$(CAPTURE_LIB): $(call objs,$(CAPTURE_SRCS))
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# Claude Code runs hook-capture for every hook event, so its start-up is
# its cost: json-c, libyaml and libbsd are linked statically when their
# archives are installed (one shared object less to map and relocate
# each; about 1 ms of CPU less per run measured here), else dynamically.
CAPTURE_STATIC := $(shell for l in json-c yaml bsd md; do \
	f=$$($(CC) -print-file-name=lib$$l.a); [ -f "$$f" ] || exit 0; done; echo yes)
ifeq ($(CAPTURE_STATIC),yes)
CAPTURE_LIBS := -Wl,-Bstatic -ljson-c -lyaml -lbsd -lmd -Wl,-Bdynamic -lm
else
CAPTURE_LIBS := $(JSON_LIBS) $(BSD_LIBS) $(YAML_LIBS) -lm
endif

$(BIN)/hook-capture: $(call objs,hook-capture/hook-capture.c) $(CAPTURE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CAPTURE_LIBS)

$(OBJ)/hook-capture/%.o: CPPFLAGS += -Ihook-capture

BINS        += $(BIN)/hook-capture
INSTALL_BIN += hook-capture
MODULE_LIBS += $(CAPTURE_LIB)
