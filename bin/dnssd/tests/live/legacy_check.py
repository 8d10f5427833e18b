#!/usr/bin/env python3
"""A legacy unicast query (RFC 6762 §6.7) from an ephemeral port with dnspython, the
strict decoder: the reply must echo the ID, repeat the question, carry the PTR with TTL
<= 10 and no cache-flush bit (dnspython would show class 32769 for a set bit).

usage: legacy_check.py INSTANCE
"""
import sys

import dns.flags
import dns.message
import dns.query
import dns.rdataclass
import dns.rdatatype

instance = sys.argv[1]
q = dns.message.make_query("_afpovertcp._tcp.local.", "PTR")
q.flags &= ~dns.flags.RD
r = dns.query.udp(q, "224.0.0.251", port=5353, timeout=3, ignore_unexpected=True)
problems = []
if r.id != q.id:
    problems.append(f"id {r.id} != {q.id}")
if r.question != q.question:
    problems.append("question not repeated")
ptrs = [rr for rr in r.answer if rr.rdtype == dns.rdatatype.PTR]
if not any(str(rd.target).startswith(instance + ".") for rr in ptrs for rd in rr):
    problems.append("no PTR for the instance")
for rr in r.answer + r.additional:
    if rr.ttl > 10:
        problems.append(f"TTL {rr.ttl} > 10 for {rr.name} {dns.rdatatype.to_text(rr.rdtype)}")
    if rr.rdclass != dns.rdataclass.IN:
        problems.append(f"class {rr.rdclass} (cache-flush bit?) on {rr.name}")
print(r)
for p in problems:
    print("problem:", p)
sys.exit(1 if problems else 0)
