# contrib/: the supervisor, service files, examples; and the dashboard data.
#
# The supervisor is copied next to the binaries, $(BIN)/hookwire, with its
# version filled in, so that it finds its sibling binaries in the build tree
# and after make install alike.  The systemd user units get the binaries'
# installed path.
BINS        += $(BIN)/hookwire
INSTALL_BIN += hookwire
SYSTEMD_USERDIR ?= $(PREFIX)/lib/systemd/user
CONTRIB_DOCS := contrib/hookwire.conf.example event-router/scrub-rules.example
CONTRIB_SCRIPTS := contrib/demo.sh contrib/replay.sh
CONTRIB_DIRS := contrib/examples contrib/logrotate contrib/runit contrib/samples contrib/systemd \
	contrib/launchd contrib/prometheus

$(BIN)/hookwire: contrib/hookwire
	@mkdir -p $(@D)
	sed 's/@VERSION@/$(VERSION)/' contrib/hookwire >$@.tmp && chmod 0755 $@.tmp && mv -f $@.tmp $@

.PHONY: install-data uninstall-data install-contrib uninstall-contrib
install-data:
	install -d $(DESTDIR)$(DATADIR)
	if [ -d ws-gateway/dashboard ]; then install -d $(DESTDIR)$(DATADIR)/dashboard && \
		cp -R ws-gateway/dashboard/. $(DESTDIR)$(DATADIR)/dashboard/; fi
	install -m 0644 contrib/prices.conf $(DESTDIR)$(DATADIR)/prices.conf
uninstall-data:
	rm -rf $(DESTDIR)$(DATADIR)
install-contrib:
	install -d $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSTEMD_USERDIR)
	for f in $(wildcard $(CONTRIB_DOCS)); do install -m 0644 $$f $(DESTDIR)$(DOCDIR)/; done
	for f in $(wildcard $(CONTRIB_SCRIPTS)); do install -m 0755 $$f $(DESTDIR)$(DOCDIR)/; done
	for d in $(wildcard $(CONTRIB_DIRS)); do cp -R $$d $(DESTDIR)$(DOCDIR)/; done
	for u in contrib/systemd/*.service contrib/systemd/*.target; do \
		sed 's|@BINDIR@|$(BINDIR)|g' $$u >$(DESTDIR)$(SYSTEMD_USERDIR)/$${u##*/} && \
		chmod 0644 $(DESTDIR)$(SYSTEMD_USERDIR)/$${u##*/}; done
uninstall-contrib:
	rm -rf $(DESTDIR)$(DOCDIR)
	for u in contrib/systemd/*.service contrib/systemd/*.target; do \
		rm -f $(DESTDIR)$(SYSTEMD_USERDIR)/$${u##*/}; done
