#!/bin/bash
# The systemd units: each rates "OK" or better in `systemd-analyze security`
# (offline), passes `systemd-analyze verify`, and is Type=notify; and the
# daemons do send READY=1 to $NOTIFY_SOCKET once they are ready (the socket
# bound, the ring mapped), as Type=notify needs.
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || { fail "systemd-analyze missing (make deps installs systemd)"; hw_done; }
mkdir -p "$T/units" "$T/xdg"
export XDG_RUNTIME_DIR=$T/xdg
for u in "$SRC"/contrib/systemd/*.service; do
	n=${u##*/}
	sed "s|@BINDIR@|$B|g" "$u" >"$T/units/$n"
	out=$(cd "$T/units" && systemd-analyze security --offline=yes --user "$n" 2>&1)
	lvl=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
	echo "FIGURE $n exposure $lvl"
	case ${lvl#* } in
	PERFECT | SAFE | OK) ok "$n: systemd-analyze security: $lvl" ;;
	*) fail "$n: systemd-analyze security: '${lvl:-no rating}'"; printf '%s\n' "$out" | tail -n 5 ;;
	esac
	# verify, less what needs a running system (man pages, the binary's mode)
	v=$(cd "$T/units" && systemd-analyze verify --user "$n" 2>&1 | grep -v "Command 'man " | grep -v 'not executable' || true)
	check "$n: systemd-analyze verify: ${v:-clean}" test -z "$v"
	check "$n: Type=notify" grep -qx 'Type=notify' "$u"
done

# READY=1 on $NOTIFY_SOCKET: a datagram socket of ours, read by python.
# notify_wait SOCKET: prints the first datagram on SOCKET (waits at most
# 20 s); writes "bound" to its fd 3 once SOCKET is bound.
notify_wait() {
	/usr/bin/python3 - "$1" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.write(3, b"bound\n")
os.close(3)
s.settimeout(20)
try:
    print(s.recv(256).decode())
except socket.timeout:
    print("timeout")
PY
}
for stage in router gateway; do
	sock=$T/notify-$stage.sock
	mkfifo "$sock.bound"
	notify_wait "$sock" >"$T/notify-$stage.out" 3>"$sock.bound" &
	np=$!
	# its line on the fifo once the socket is bound (end of file if it failed)
	check "$stage: the receiver bound its socket" test "$(timeout 20 head -n1 "$sock.bound")" = bound
	NOTIFY_SOCKET=$sock hw_start_$stage
	wait "$np"
	got=$(tr '\n' ' ' <"$T/notify-$stage.out")
	eval "pid=\$${stage}_pid"
	check "$stage: READY=1 and MAINPID on \$NOTIFY_SOCKET ($got)" \
		test "$got" = "READY=1 MAINPID=$pid "
done
hw_done
