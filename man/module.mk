# man/: mdoc pages, linted by test-man, installed by install-man.
MANPAGES := $(wildcard man/*.[1-8])

.PHONY: test-man install-man uninstall-man
test-man:
	@sh tests/man/lint.sh $(MANPAGES)

install-man:
	@for m in $(MANPAGES); do s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

uninstall-man:
	@for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
