# hook-capture: links common/ without libevent (json-c, libbsd, libyaml only).
# libcapture.a holds everything but main(), for the unit tests.
CAPTURE_SRCS := hook-capture/capture.c hook-capture/deliver.c hook-capture/context.c \
	hook-capture/install.c hook-capture/settings.c hook-capture/statusline.c
CAPTURE_LIB  := $(BUILD)/lib/libcapture.a

$(CAPTURE_LIB): $(call objs,$(CAPTURE_SRCS))
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# Claude Code runs hook-capture for every hook event, so its start-up is
# its cost (hook-capture(1), CAVEATS, has the figures).  CAPTURE_STATIC:
#   yes   one static-pie binary, glibc included: no dynamic loader, no
#         shared object to map and relocate (the default where libc.a,
#         rcrt1.o and the archives below are installed);
#   libs  json-c, libyaml, libbsd and libmd static, glibc shared (the
#         default when only those archives are there; always with SANITIZE=1:
#         the sanitizers need a dynamic glibc);
#   no    every library shared (the default when the archives are missing).
# A static link warns that getpwnam() and getpwuid() need glibc's own NSS
# modules at run time: the first is never called by hook-capture, the
# second only when neither $USER nor $LOGNAME is set (nss_files is built in).
capture_have = $(shell for f in $(1); do \
	p=$$($(CC) -print-file-name=$$f); [ -f "$$p" ] || exit 0; done; echo yes)
ifeq ($(SANITIZE),1)
CAPTURE_STATIC := $(if $(call capture_have,libjson-c.a libyaml.a libbsd.a libmd.a),libs,no)
else
CAPTURE_STATIC := $(if $(call capture_have,libjson-c.a libyaml.a libbsd.a libmd.a),$(if \
	$(call capture_have,libc.a rcrt1.o),yes,libs),no)
endif
ifeq ($(CAPTURE_STATIC),yes)
CAPTURE_LDFLAGS := -static-pie
CAPTURE_LIBS := -ljson-c -lyaml -lbsd -lmd -lm
else ifeq ($(CAPTURE_STATIC),libs)
CAPTURE_LIBS := -Wl,-Bstatic -ljson-c -lyaml -lbsd -lmd -Wl,-Bdynamic -lm
else
CAPTURE_LIBS := $(JSON_LIBS) $(BSD_LIBS) $(YAML_LIBS) -lm
endif

$(BIN)/hook-capture: $(call objs,hook-capture/hook-capture.c) $(CAPTURE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(CAPTURE_LDFLAGS) -o $@ $^ $(CAPTURE_LIBS)

$(OBJ)/hook-capture/%.o: CPPFLAGS += -Ihook-capture

BINS        += $(BIN)/hook-capture
INSTALL_BIN += hook-capture
MODULE_LIBS += $(CAPTURE_LIB)
