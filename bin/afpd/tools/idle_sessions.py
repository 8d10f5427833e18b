#!/usr/bin/env python3
"""Usage: idle_sessions.py HOST PORT USER PASSWORD VOLUME N AFPD_PID

Opens N logged-in AFP sessions (Cleartxt, AFP3.4, FPOpenVol) to afpd and keeps them idle,
then prints afpd's RSS before and after: the idle memory per session."""
import socket, struct, sys, time

host, port, user, pw, vol, n, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), int(sys.argv[7])

def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def threads(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Threads:"):
            return int(line.split()[1])

def dsi(sock, cmd, rid, payload):
    sock.sendall(struct.pack(">BBHIII", 0, cmd, rid, 0, len(payload), 0) + payload)
    hdr = b""
    while len(hdr) < 16:
        hdr += sock.recv(16 - len(hdr))
    flags, c, r, err, ln, _ = struct.unpack(">BBHiII", hdr)
    body = b""
    while len(body) < ln:
        body += sock.recv(ln - len(body))
    return err, body

def pstr(s):
    b = s.encode()
    return bytes([len(b)]) + b

def session():
    s = socket.create_connection((host, port))
    err, _ = dsi(s, 4, 0, b"\x01\x04" + struct.pack(">I", 1024))
    assert err == 0, err
    body = bytes([18]) + pstr("AFP3.4") + pstr("Cleartxt Passwrd") + pstr(user)
    if len(body) % 2:
        body += b"\0"
    body += pw.encode().ljust(8, b"\0")
    err, _ = dsi(s, 2, 1, body)
    assert err == 0, f"login {err}"
    body = struct.pack(">BBH", 24, 0, 0x20) + pstr(vol)
    err, reply = dsi(s, 2, 2, body)
    assert err == 0, f"openvol {err}"
    return s

time.sleep(1)
base, base_t = rss_kib(pid), threads(pid)
socks = []
for i in range(n):
    socks.append(session())
time.sleep(3)
after, after_t = rss_kib(pid), threads(pid)
print(f"sessions={n} rss_before_kib={base} rss_after_kib={after} per_session_kib={(after-base)/n:.1f} threads {base_t}->{after_t}")
for s in socks:
    s.close()
