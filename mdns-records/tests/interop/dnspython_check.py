#!/usr/bin/env python3
"""Cross-check mdns-records against dnspython, an implementation we did not write.

  dnspython_check.py parse DIR   every DIR/*.bin (as we emit it) must parse; DIR/*.plain.bin
                                 (the same message with the mDNS class bits cleared, same
                                 layout) must hold exactly the records listed in DIR/*.txt
  dnspython_check.py build DIR   dnspython builds messages and writes DIR/NAME.bin plus
                                 DIR/NAME.txt listing their records, for the Rust side

Line format (one entry per line, wire order):
  qd <name-hex> <type> <class>
  an|ns|ar <name-hex> <type> <class> <ttl> <rdata-hex, names uncompressed>
Names are in uncompressed wire form. dnspython merges records of one name/type/class into
an RRset with the smallest TTL, so the parse check compares RRsets, not single lines.
"""
import collections
import glob
import os
import sys

import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

SECTIONS = ("an", "ns", "ar")


def rdata_hex(rd):
    return rd.to_wire().hex()


def message_lines(msg):
    lines = []
    for q in msg.question:
        lines.append(f"qd {q.name.to_wire().hex()} {int(q.rdtype)} {int(q.rdclass)}")
    for tag, section in zip(SECTIONS, (msg.answer, msg.authority, msg.additional)):
        for rrset in section:
            for rd in rrset:
                lines.append(
                    f"{tag} {rrset.name.to_wire().hex()} {int(rrset.rdtype)} "
                    f"{int(rrset.rdclass)} {rrset.ttl} {rdata_hex(rd)}"
                )
    return lines


def group(lines):
    """{(section, name, type, class): (min ttl, set of rdata)} and the question list."""
    sets = collections.OrderedDict()
    questions = []
    for line in lines:
        f = line.split()
        if not f:
            continue
        if f[0] == "qd":
            questions.append((f[1].lower(), int(f[2]), int(f[3])))
            continue
        key = (f[0], f[1].lower(), int(f[2]), int(f[3]))
        ttl, rdatas = sets.get(key, (None, set()))
        ttl = int(f[4]) if ttl is None else min(ttl, int(f[4]))
        rdatas.add(f[5] if len(f) > 5 else "")
        sets[key] = (ttl, rdatas)
    return questions, sets


def parse(directory):
    failures = 0
    files = sorted(p for p in glob.glob(os.path.join(directory, "*.bin")) if not p.endswith(".plain.bin"))
    for path in files:
        base = path[: -len(".bin")]
        try:
            dns.message.from_wire(open(path, "rb").read())
            plain = dns.message.from_wire(open(base + ".plain.bin", "rb").read())
        except Exception as e:  # noqa: BLE001 - any dnspython exception is a failure
            print(f"FAIL {os.path.basename(path)}: dnspython: {type(e).__name__}: {e}")
            failures += 1
            continue
        want = group(open(base + ".txt").read().splitlines())
        got = group(message_lines(plain))
        if want != got:
            print(f"FAIL {os.path.basename(path)}: records differ\n  want {want}\n  got  {got}")
            failures += 1
    print(f"{len(files) - failures} passed, {failures} failed")
    return 1 if failures or not files else 0


def build(directory):
    os.makedirs(directory, exist_ok=True)
    IN = dns.rdataclass.IN

    def rr(name, ttl, rdtype, text):
        return dns.rrset.from_text(name, ttl, IN, rdtype, text)

    messages = {}
    # The records of the spec's worked example, as dnspython writes them (no cache-flush:
    # dnspython knows nothing of mDNS).
    m = dns.message.Message(id=0)
    m.flags = 0x8400
    uuid = "0b5c4c39-1b7a-4d0e-9a52-3f2f4f6b7a11"
    for typ, port, txt in (
        ("_afpovertcp._tcp", 548, '""'),
        ("_device-info._tcp", 0, '"model=Xserve"'),
        ("_adisk._tcp", 9, f'"sys=waMa=0,adVF=0x100" "dk0=adVN=time_mach,adVF=0xa1,adVU={uuid}"'),
    ):
        m.answer.append(rr(f"{typ}.local.", 4500, "PTR", f"zf.{typ}.local."))
        m.answer.append(rr(f"zf.{typ}.local.", 120, "SRV", f"0 0 {port} zf.local."))
        m.answer.append(rr(f"zf.{typ}.local.", 4500, "TXT", txt))
    m.answer.append(rr("zf.local.", 120, "A", "10.253.0.1"))
    m.answer.append(rr("zf.local.", 120, "AAAA", "fe80::1"))
    m.additional.append(rr("zf.local.", 120, "NSEC", "zf.local. A AAAA"))
    messages["announcement"] = m
    # A browse query with a known answer, and a legacy-style query with an ID.
    q = dns.message.make_query("_afpovertcp._tcp.local.", "PTR")
    q.id = 0x1234
    q.flags = 0
    q.answer.append(rr("_afpovertcp._tcp.local.", 4500, "PTR", "zf._afpovertcp._tcp.local."))
    messages["query-known-answer"] = q
    # UTF-8 and escaped dots in instance names, several TXT strings, unknown types.
    u = dns.message.Message(id=7)
    u.flags = 0x8400
    owner = dns.name.Name([b"B\xc3\xbcro. Server (2)", b"_afpovertcp", b"_tcp", b"local", b""])
    u.answer.append(dns.rrset.from_rdata(owner, 120, dns.rdata.from_text(IN, "SRV", "1 2 548 host-2.local.")))
    u.answer.append(dns.rrset.from_rdata(owner, 4500, dns.rdata.from_text(IN, "TXT", '"a=1" "b" "c=" "=x"')))
    u.answer.append(rr("host-2.local.", 10, "TYPE65280", r"\# 3 010203"))
    u.answer.append(rr("host-2.local.", 10, "HINFO", '"x86" "Linux"'))
    u.authority.append(rr("host-2.local.", 120, "NSEC", "host-2.local. A TYPE300"))
    messages["utf8-and-unknown"] = u
    for name, msg in messages.items():
        with open(os.path.join(directory, name + ".bin"), "wb") as f:
            f.write(msg.to_wire())
        with open(os.path.join(directory, name + ".txt"), "w") as f:
            f.write("\n".join(message_lines(msg)) + "\n")
    print(f"{len(messages)} messages built")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("parse", "build"):
        print(__doc__)
        sys.exit(2)
    sys.exit(parse(sys.argv[2]) if sys.argv[1] == "parse" else build(sys.argv[2]))
