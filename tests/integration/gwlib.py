"""gwlib.py: helpers for the ws-gateway integration tests in Python.

The same conventions as gwlib.mjs: a private directory under
$HOOKWIRE_TEST_TMP, a unique instance (hence its own ring), rundir and
statedir; daemons started with --readiness-fd and awaited on that pipe with a
bounded timeout (no sleeps); everything started here stopped by pid at exit
and the ring removed; events fed with the real hook-capture binary.
"""

import atexit
import copy
import json
import os
import secrets
import select
import signal
import subprocess
import tempfile
import time

SRC = os.environ.get("HOOKWIRE_SRC") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("HOOKWIRE_BIN") or os.path.join(SRC, "build", "bin")

_started = []  # Popen objects we own
_rings = []


def _cleanup():
    for p in _started:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
    for r in _rings:
        try:
            os.unlink(r)
        except OSError:
            pass


atexit.register(_cleanup)

_base = None
_n = 0


class Instance:
    def __init__(self, tag="gw"):
        global _base, _n
        if _base is None:
            _base = os.environ.get("HOOKWIRE_TEST_TMP") or tempfile.mkdtemp(prefix="hw-gwtest.")
        self.name = "t%dx%s%d" % (os.getpid(), tag, _n)
        _n += 1
        self.dir = os.path.join(_base, self.name)
        self.run = os.path.join(self.dir, "run")
        self.state = os.path.join(self.dir, "state")
        for d in (self.run, self.state):
            os.makedirs(d, mode=0o700, exist_ok=True)
            os.chmod(d, 0o700)
        _rings.append("/dev/shm/hookwire-" + self.name)
        self.env = dict(os.environ, HOOKWIRE_INSTANCE=self.name,
                        HOOKWIRE_RUNDIR=self.run, HOOKWIRE_STATEDIR=self.state)
        self.args = ["-i", self.name, "--rundir", self.run, "--statedir", self.state]


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no log)"


def dump_logs(inst, n=25):
    """Prints the tail of every daemon log of an instance (stderr and --log-file)."""
    for f in sorted(os.listdir(inst.dir)):
        if f.endswith(".log") or f.endswith(".jsonlog"):
            print("--- %s (tail):\n%s" % (f, tail(os.path.join(inst.dir, f), n)))


class Daemon:
    def __init__(self, name, proc, log):
        self.name, self.proc, self.pid, self.log = name, proc, proc.pid, log
        self.port = self.url = self.token = None

    def stop(self, sig=signal.SIGTERM, timeout=5):
        if self.proc.poll() is not None:
            return self.proc.returncode
        os.kill(self.pid, sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            return self.proc.wait(5)


def start_daemon(inst, name, argv, timeout=20.0):
    """Starts argv + --readiness-fd N; waits for the readiness line."""
    log = os.path.join(inst.dir, name + ".log")
    r, w = os.pipe()
    with open(log, "ab") as lf:
        proc = subprocess.Popen(argv + ["--readiness-fd", str(w)], env=inst.env,
                                stdin=subprocess.DEVNULL, stdout=lf, stderr=lf,
                                pass_fds=(w,))
    os.close(w)
    _started.append(proc)
    d = Daemon(name, proc, log)
    try:
        end = time.monotonic() + timeout
        buf = b""
        while b"\n" not in buf:
            left = end - time.monotonic()
            if left <= 0:
                raise RuntimeError("%s: no readiness within %.0f s" % (name, timeout))
            ready, _, _ = select.select([r], [], [], left)
            if ready:
                chunk = os.read(r, 64)
                if not chunk:
                    raise RuntimeError("%s: readiness fd closed without a line (exit %s)"
                                       % (name, proc.poll()))
                buf += chunk
    except RuntimeError as e:
        d.stop(signal.SIGKILL)
        raise RuntimeError("%s\n--- %s log:\n%s" % (e, name, tail(log)))
    finally:
        os.close(r)
    return d


def start_router(inst, extra=()):
    return start_daemon(inst, "router", [os.path.join(BIN, "event-router")] + inst.args +
                        ["--log-file", os.path.join(inst.dir, "router.jsonlog")] + list(extra))


def start_gateway(inst, extra=(), listen="127.0.0.1:0"):
    try:
        os.unlink(os.path.join(inst.run, "gateway.port"))
    except OSError:
        pass
    d = start_daemon(inst, "gateway", [os.path.join(BIN, "ws-gateway")] + inst.args +
                     ["--listen", listen,
                      "--log-file", os.path.join(inst.dir, "gateway.jsonlog")] + list(extra))
    with open(os.path.join(inst.run, "gateway.port")) as f:
        d.port = int(f.read().strip())
    d.url = "http://127.0.0.1:%d" % d.port
    try:
        with open(os.path.join(inst.state, "token")) as f:
            d.token = f.read().strip()
    except OSError:
        d.token = None
    return d


def fixture_dir():
    for c in (os.environ.get("HOOKWIRE_FIXTURES"),
              os.path.join(SRC, "..", "shared", "fixtures", "hooks"),
              os.path.join(SRC, "tests", "fixtures", "hooks")):
        if c and os.path.isdir(c):
            return c
    raise RuntimeError("no hook fixtures")


def fixtures():
    d = fixture_dir()
    out = {}
    for f in sorted(os.listdir(d)):
        if f.endswith(".json"):
            with open(os.path.join(d, f)) as fh:
                out[f[:-5]] = json.load(fh)
    return out


_nonce = 0


def hook_from(fixture, session=None, **extra):
    """A unique copy of a fixture (fresh tool_use_id, a nonce field)."""
    global _nonce
    h = copy.deepcopy(fixture)
    if session:
        h["session_id"] = session
    _nonce += 1
    if "tool_use_id" in h or "tool_name" in h:
        h["tool_use_id"] = "toolu_gwtest_py_%d_%d" % (os.getpid(), _nonce)
    h["hookwire_test_nonce"] = "py-%d-%d-%s" % (os.getpid(), _nonce, secrets.token_hex(4))
    h.update(extra)
    return h


def capture(inst, hook, timeout=10):
    """Feeds one hook JSON through the real hook-capture; its exit code must be 0."""
    data = hook if isinstance(hook, (bytes, str)) else json.dumps(hook)
    if isinstance(data, str):
        data = data.encode()
    p = subprocess.run([os.path.join(BIN, "hook-capture")] + inst.args, input=data,
                       env=inst.env, capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("hook-capture exited %d: %r" % (p.returncode, p.stderr[-500:]))
    return hook["hookwire_test_nonce"] if isinstance(hook, dict) else None


class Results:
    """Named cases, a closing summary, a non-zero exit on any failure."""

    def __init__(self):
        self.passed, self.failed = [], []

    def case(self, name, fn, *args):
        t0 = time.monotonic()
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            import traceback
            self.failed.append(name)
            print("not ok - %s (%.1fs): %s: %s" % (name, time.monotonic() - t0,
                                                  type(e).__name__, e), flush=True)
            traceback.print_exc()
        else:
            self.passed.append(name)
            print("ok - %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)

    def done(self):
        print("# %d passed, %d failed" % (len(self.passed), len(self.failed)))
        for n in self.failed:
            print("#   failed: " + n)
        return 1 if self.failed else 0
