#!/bin/bash
# hook-curl.sh: the common peer approach to a Claude Code hook, timed by
# `make bench` beside hook-capture: bash reads the hook JSON on stdin and
# curl POSTs it to a local HTTP server ($HOOK_CURL_URL); always exit 0.
curl -s -m 2 -X POST -H 'Content-Type: application/json' --data-binary @- \
	"${HOOK_CURL_URL:-http://127.0.0.1:8080/events}" >/dev/null 2>&1
exit 0
