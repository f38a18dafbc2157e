# hookwire-config: the configuration file from the shell (check, migrate,
# show).  It links common/ only.
BINS        += $(BIN)/hookwire-config
INSTALL_BIN += hookwire-config

$(BIN)/hookwire-config: $(OBJ)/hookwire-config/hookwire-config.o $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(COMMON_LIBS)
