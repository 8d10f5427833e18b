#!/usr/bin/env python3
"""python-zeroconf browses and resolves the AFP server's three services.

usage: zc_check.py BIND_ADDR INSTANCE PORT MODEL_TXT DK0_TXT   (exit 0 when all match)
"""
import sys
import time

from zeroconf import IPVersion, ServiceBrowser, ServiceListener, Zeroconf

addr, instance, port, model, dk0 = sys.argv[1:6]
expect = {
    "_afpovertcp._tcp.local.": lambda i: i.port == int(port),
    "_device-info._tcp.local.": lambda i: model.encode() in txt(i),
    "_adisk._tcp.local.": lambda i: dk0.encode() in txt(i) and b"sys=waMa=0,adVF=0x100" in txt(i),
}


def txt(info):
    out, raw = [], info.text or b""
    while raw:
        n = raw[0]
        out.append(raw[1 : 1 + n])
        raw = raw[1 + n :]
    return out


class Seen(ServiceListener):
    def __init__(self):
        self.names = set()

    def add_service(self, zc, type_, name):
        self.names.add(name)

    def update_service(self, zc, type_, name):
        self.names.add(name)

    def remove_service(self, zc, type_, name):
        pass


zc = Zeroconf(interfaces=[addr], ip_version=IPVersion.V4Only)
seen = Seen()
browsers = [ServiceBrowser(zc, t, seen) for t in expect]
ok = True
deadline = time.time() + 8
for t, good in expect.items():
    full = f"{instance}.{t}"
    while full not in seen.names and time.time() < deadline:
        time.sleep(0.1)
    info = zc.get_service_info(t, full, timeout=3000)
    found = full in seen.names
    resolved = info is not None and good(info)
    addrs = info.parsed_addresses() if info else []
    print(f"zeroconf {t}: browsed={found} resolved={resolved} port={info.port if info else None} "
          f"addrs={addrs} txt={txt(info) if info else None}")
    ok = ok and found and resolved and "10.253.0.1" in addrs
for b in browsers:
    b.cancel()
zc.close()
sys.exit(0 if ok else 1)
