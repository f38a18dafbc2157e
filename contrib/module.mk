# contrib/: the supervisor, service files, examples; and the dashboard data.
INSTALL_BIN  += hookwire
.PHONY: install-data uninstall-data install-contrib uninstall-contrib
install-data:
	install -d $(DESTDIR)$(DATADIR)
	if [ -d ws-gateway/dashboard ]; then cp -R ws-gateway/dashboard $(DESTDIR)$(DATADIR)/; fi
uninstall-data:
	rm -rf $(DESTDIR)$(DATADIR)
install-contrib:
	install -d $(DESTDIR)$(DOCDIR)
	cp -R contrib $(DESTDIR)$(DOCDIR)/
uninstall-contrib:
	rm -rf $(DESTDIR)$(DOCDIR)
