#!/bin/bash
# contrib/prometheus: the alerting rules load (promtool check rules), each
# alert fires above its threshold and not below (promtool test rules), and
# every metric the rules read is one a real gateway exports on /metrics.
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || { fail "promtool missing (make deps installs prometheus)"; hw_done; }
P=$SRC/contrib/prometheus
check "promtool check rules" promtool check rules "$P/hookwire-alerts.yml"
out=$(cd "$P" && promtool test rules hookwire-alerts.test.yml 2>&1)
check "promtool test rules" test $? -eq 0 -a -n "$(printf '%s' "$out" | grep SUCCESS)"
printf '%s\n' "$out" | grep -v '^$' | sed 's/^/    /'

# the metrics the rules name, against a live gateway's /metrics
hw_start_router
hw_start_gateway
"$B/hook-capture" <"$FIX/userpromptsubmit.json"
# the gateway broadcasts the event soon after the router took it
latency_counted() {
	curl -s -H "Authorization: Bearer $(cat "$T/state/token")" "http://127.0.0.1:$HW_PORT/metrics" >"$T/metrics"
	grep -q '^hookwire_event_latency_seconds_count 1$' "$T/metrics"
}
hw_until 5 "the broadcast event is in the latency histogram" latency_counted
check "within 10 s of its capture" grep -q '^hookwire_event_latency_seconds_bucket{le="10"} 1$' "$T/metrics"
for m in $(grep -o 'hookwire_[a-z_]*' "$P/hookwire-alerts.yml" | sort -u); do
	case $m in
	hookwire_gateway_memory_limit_bytes)
		# only where the gateway runs under a memory limit (its cgroup's memory.max)
		continue ;;
	esac
	check "/metrics exports $m" grep -q "^$m[{ ]" "$T/metrics"
done
hw_done
