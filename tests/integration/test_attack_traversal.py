"""Path traversal against the static file server of the REAL ws-gateway,
in the encodings test_gw_api_client.mjs does not try: double encoding of the
slash, overlong UTF-8 dots and slashes, %u escapes, full-width dots, ";"
path parameters, "....//", encoded NULs in the middle, mixed case, absolute
paths, Windows drive and UNC forms, very long ../ chains.  Each request is
sent raw (no client normalisation): never a 200 with the secret or
/etc/passwd; every refusal a 4xx; the gateway still serves the dashboard.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwlib  # noqa: E402

inst = gwlib.Instance("trav")
dash = os.path.join(inst.dir, "dashboard")
os.makedirs(os.path.join(dash, "sub"))
SECRET = "TRAVERSAL-SECRET-%s" % os.urandom(6).hex()
with open(os.path.join(dash, "index.html"), "w") as f:
    f.write("<title>ok</title>\n")
with open(os.path.join(dash, "sub", "a.txt"), "w") as f:
    f.write("a\n")
with open(os.path.join(inst.dir, "secret.txt"), "w") as f:
    f.write(SECRET + "\n")
router = gwlib.start_router(inst)
gw = gwlib.start_gateway(inst, ["--dashboard", dash])


def get(target):
    """A GET of target as it is (raw bytes): (status, what was read)."""
    r = gwlib.raw_http(gw.port, b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    return r.status, r.raw


targets = [
    b"/%252e%252e%252fsecret.txt", b"/..%252fsecret.txt", b"/%25%32%65%25%32%65/secret.txt",
    b"/%c0%ae%c0%ae/secret.txt", b"/%c0%ae%c0%ae%c0%afsecret.txt", b"/..%c0%afsecret.txt",
    b"/%e0%80%ae%e0%80%ae/secret.txt", b"/..%c1%9csecret.txt", b"/%u002e%u002e/secret.txt",
    b"/%u002e%u002e%u2215secret.txt", b"/%ef%bc%8e%ef%bc%8e/secret.txt", b"/\xef\xbc\x8e\xef\xbc\x8e/secret.txt",
    b"/..;/secret.txt", b"/sub/..;/..;/secret.txt", b"/.;/..;/secret.txt", b"/....//secret.txt",
    b"/....\\\\secret.txt", b"/.../secret.txt", b"/sub/.%2E/.%2e/secret.txt", b"/%2E./%2e./secret.txt",
    b"/sub/%2E%2e/%2e%2E/secret.txt", b"/..%00/secret.txt", b"/sub/%00../../secret.txt",
    b"/%2e%2e%5c%2e%2e%5csecret.txt", b"/%5c%2e%2e%5csecret.txt", b"/sub%2f..%2f..%2fsecret.txt",
    b"/etc/passwd", b"//etc/passwd", b"///etc/passwd", b"/%2fetc%2fpasswd", b"/%2Fetc/passwd",
    b"/C:/Windows/win.ini", b"/C:%5cWindows%5cwin.ini", b"/\\\\host\\share\\x", b"file:///etc/passwd",
    b"/" + b"../" * 64 + b"etc/passwd", b"/" + b"%2e%2e/" * 64 + b"etc/passwd",
    b"/sub/./../.././secret.txt", b"/./sub/../../secret.txt", b"/index.html/../../secret.txt",
    b"/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/shadow", b"/..%2f..%2f..%2f..%2f..%2f..%2fproc/self/environ",
    b"/" + b"..%2F" * 20 + b"proc/self/cmdline",
]
bad = []
for t in targets:
    st, body = get(t)
    leaked = SECRET.encode() in body or b"root:x:0:0" in body or b"HOOKWIRE_" in body or b"[fonts]" in body
    if leaked or st == 200 or st is None or not (400 <= st < 500):
        bad.append((t[:60], st, leaked))
        print("FAIL: %r -> %s%s" % (t[:60], st, " LEAK" if leaked else ""))
    else:
        print("ok: %r -> %s" % (t[:60], st))
st, body = get(b"/")
ok_root = st == 200 and b"<title>ok</title>" in body
st2, body2 = get(b"/sub/a.txt")
print(("ok" if ok_root else "FAIL") + ": the dashboard is still served (%s)" % st)
print(("ok" if st2 == 200 else "FAIL") + ": a file in a subdirectory is still served (%s)" % st2)
print("FIGURE traversal_cases %d" % len(targets))
alive = gw.proc.poll() is None
print(("ok" if alive else "FAIL") + ": gateway still running")
gw.stop()
router.stop()
sys.exit(1 if bad or not ok_root or st2 != 200 or not alive else 0)
