#!/bin/bash
# event-router limits: a producer that floods without reading its replies
# is slowed by back-pressure (router.conn_buffer) and the router's memory
# stays bounded; router.clients_max connections at once, the next one is
# served when one closes.
. "$(dirname "$0")/lib.sh"

export HOOKWIRE_ROUTER_CONN_BUFFER=64k HOOKWIRE_ROUTER_CLIENTS_MAX=3
hw_start_router
cat >"$T/flood.py" <<'PY'
import os, select, socket, sys, time
path = os.environ["HOOKWIRE_RUNDIR"] + "/ingest.sock"
s = socket.socket(socket.AF_UNIX); s.connect(path)
s.setblocking(False)
line = b"x\n"  # rejected: 46 bytes of reply per 2 bytes of input
total = 1000000
data = line * (total // 2)
sent = 0
deadline = time.time() + 20
# write without reading until the router stops reading (writes block for 1 s)
while sent < len(data) and time.time() < deadline:
    _, w, _ = select.select([], [s], [], 1.0)
    if not w:
        break
    try:
        sent += s.send(data[sent:sent + 65536])
    except BlockingIOError:
        pass
stalled = sent < len(data)
print("sent %d of %d bytes before the router stopped reading" % (sent, len(data)))
with open(os.environ["T"] + "/router.pid") as f:
    pid = int(f.read())
rss = int([l for l in open("/proc/%d/status" % pid) if l.startswith("VmRSS")][0].split()[1])
print("FIGURE router RSS while flooded: %d kB" % rss)
# now read every reply while sending the rest
s.setblocking(True)
s.settimeout(30)
import threading
def rest():
    s.sendall(data[sent:])
t = threading.Thread(target=rest); t.start()
buf = b""; n = 0
while n < total // 2:
    chunk = s.recv(1 << 20)
    if not chunk:
        break
    n += chunk.count(b"\n")
t.join()
print("replies: %d" % n)
sys.exit(0 if stalled and n == total // 2 else 1)
PY
echo "$router_pid" >"$T/router.pid"
check "flooding producer: stalled by back-pressure, every line answered" env T="$T" /usr/bin/python3 "$T/flood.py"
check "router alive" kill -0 "$router_pid"

cat >"$T/clients.py" <<'PY'
import json, os, socket, sys
path = os.environ["HOOKWIRE_RUNDIR"] + "/ingest.sock"
held = [socket.socket(socket.AF_UNIX) for i in range(3)]
for h in held: h.connect(path)
# make sure the router has accepted the three (each answers a line)
for h in held:
    h.sendall(b"x\n"); h.recv(100)
extra = socket.socket(socket.AF_UNIX); extra.connect(path)  # in the backlog
extra.sendall(b"x\n")
extra.settimeout(0.5)
try:
    got = extra.recv(100)
    print("FAIL: a fourth connection was served while three were open"); sys.exit(1)
except socket.timeout:
    print("ok: fourth connection waits while clients_max are open")
held[0].close()
extra.settimeout(10)
r = extra.recv(100)
print("fourth connection served after one closed: %r" % r)
sys.exit(0 if b"rejected" in r else 1)
PY
check "clients_max: the next connection is served when one closes" /usr/bin/python3 "$T/clients.py"
hw_done
