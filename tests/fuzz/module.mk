# libFuzzer targets (clang): make fuzz
