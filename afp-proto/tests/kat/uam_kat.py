#!/usr/bin/env python3
"""Independent reference for the DHCAST128 and DHX2 login exchanges (spec afp-dsi.md §6.5,
§6.6), written from the spec without looking at the Rust code.

Prints known-answer vectors on stdout; `uam_vectors.txt` next to this script is its output,
committed. afp-proto's test `tests/uam_kat.rs` replays every vector through the Rust state
machines byte for byte and re-runs this script to check the committed file is still what it
prints. Also: `uam_kat.py macroman` prints Python's MacRoman decoding of bytes 0x80-0xFF,
which `tests/name_macroman.rs` compares with the crate's table.

Needs Python 3 with pycryptodome (`pip install pycryptodome`): CAST-128 in CBC mode comes
from `Crypto.Cipher.CAST`, MD5 from hashlib, modular exponentiation from `pow`.

Randomness: each side's random bytes are listed in the vector (`server_random`,
`client_random`) in the order the Rust side draws them:
  server DHCAST128: ID (2), Rb (32), nonce (16)
  server DHX2:      ID (2), Rb (len), serverNonce (16)
  client DHCAST128: Ra (32)
  client DHX2:      Ra (len), clientNonce (16)
The login ID is 1 + (big-endian u16 % 0xFFFE).
"""

import hashlib
import sys

try:
    from Crypto.Cipher import CAST
except ImportError:
    sys.stderr.write("uam_kat.py: pycryptodome is missing (pip install pycryptodome)\n")
    sys.exit(3)

C2SIV = b"LWallace"
S2CIV = b"CJalbert"

DHCAST_P = int("BA2873DFB06057D43F2024744CEEE75B", 16)
DHCAST_G = 7

OAKLEY2_P = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
    "FFFFFFFFFFFFFFFF",
    16,
)
OAKLEY2_G = 2


def enc(key, iv, data):
    return CAST.new(key, CAST.MODE_CBC, iv=iv).encrypt(data)


def dec(key, iv, data):
    return CAST.new(key, CAST.MODE_CBC, iv=iv).decrypt(data)


def be(n, width):
    return n.to_bytes(width, "big")


def inc(nonce):
    return be((int.from_bytes(nonce, "big") + 1) % (1 << 128), 16)


def field(pw, width):
    assert len(pw) <= width and b"\0" not in pw
    return pw + b"\0" * (width - len(pw))


def login_id(raw):
    return 1 + (int.from_bytes(raw, "big") % 0xFFFE)


def stream(label):
    """Deterministic bytes for a vector: SHA-256 in counter mode over a label."""
    counter = 0
    while True:
        block = hashlib.sha256(label.encode() + counter.to_bytes(4, "big")).digest()
        for b in block:
            yield b
        counter += 1


def take(gen, n):
    return bytes(next(gen) for _ in range(n))


def is_probable_prime(n):
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def pstr_user(user, offset):
    out = bytes([len(user)]) + user
    if (offset + len(out)) % 2 == 1:
        out += b"\0"
    return out


# ---------------------------------------------------------------------------- DHCAST128


def dhcast128(name, user, passwords, form, offset, server_random, client_random):
    """passwords: [pw] for a login, [old, new] for a password change."""
    change = form == "change"
    ra = int.from_bytes(client_random[:32], "big")
    ma = pow(DHCAST_G, ra, DHCAST_P)
    if change:
        c1 = b"\0\0" + be(ma, 16)
    elif form == "login":
        c1 = pstr_user(user, offset) + be(ma, 16)
    else:
        c1 = be(ma, 16)

    ident = login_id(server_random[:2])
    rb = int.from_bytes(server_random[2:34], "big")
    nonce = server_random[34:50]
    mb = pow(DHCAST_G, rb, DHCAST_P)
    k_server = be(pow(ma, rb, DHCAST_P), 16)
    s1 = be(ident, 2) + be(mb, 16) + enc(k_server, S2CIV, nonce + b"\0" * 16)

    k_client = be(pow(mb, ra, DHCAST_P), 16)
    assert k_client == k_server
    plain = dec(k_client, S2CIV, s1[18:50])
    if change:
        old, new = passwords
        body = inc(plain[:16]) + field(new, 64) + field(old, 64)
    else:
        body = inc(plain[:16]) + field(passwords[0], 64)
    c2 = be(ident, 2) + enc(k_client, C2SIV, body)
    return [
        ("case", name),
        ("method", "DHCAST128"),
        ("form", form),
        ("auth_offset", str(offset)),
        ("user", user.hex()),
    ] + password_lines(passwords) + [
        ("server_random", server_random.hex()),
        ("client_random", client_random.hex()),
        ("key", k_server.hex()),
        ("c1", c1.hex()),
        ("s1", s1.hex()),
        ("c2", c2.hex()),
    ]


# ---------------------------------------------------------------------------- DHX2


def dhx2(name, user, passwords, form, offset, server_random, client_random, p=OAKLEY2_P, g=OAKLEY2_G):
    change = form == "change"
    length = (p.bit_length() + 7) // 8
    if change:
        c1 = b"\0\0"
    elif form == "login":
        c1 = pstr_user(user, offset)
    else:
        c1 = b""

    ident = login_id(server_random[:2])
    rb = int.from_bytes(server_random[2 : 2 + length], "big")
    server_nonce = server_random[2 + length : 2 + length + 16]
    mb = pow(g, rb, p)
    s1 = be(ident, 2) + be(g, 4) + be(length, 2) + be(p, length) + be(mb, length)

    # client: message 2 -> 3
    ra = int.from_bytes(client_random[:length], "big")
    client_nonce = client_random[length : length + 16]
    ma = pow(g, ra, p)
    k_client = hashlib.md5(be(pow(mb, ra, p), length)).digest()
    c2 = be(ident, 2) + be(ma, length) + enc(k_client, C2SIV, client_nonce)

    # server: message 3 -> 4
    k_server = hashlib.md5(be(pow(ma, rb, p), length)).digest()
    assert k_server == k_client
    got_nonce = dec(k_server, C2SIV, c2[2 + length :])
    s2 = be(ident + 1, 2) + enc(k_server, S2CIV, inc(got_nonce) + server_nonce)

    # client: message 4 -> 5
    plain = dec(k_client, S2CIV, s2[2:34])
    assert plain[:16] == inc(client_nonce)
    if change:
        old, new = passwords
        body = inc(plain[16:32]) + field(new, 256) + field(old, 256)
    else:
        body = inc(plain[16:32]) + field(passwords[0], 256)
    c3 = s2[:2] + enc(k_client, C2SIV, body)
    return [
        ("case", name),
        ("method", "DHX2"),
        ("form", form),
        ("auth_offset", str(offset)),
        ("user", user.hex()),
    ] + password_lines(passwords) + [
        ("server_random", server_random.hex()),
        ("client_random", client_random.hex()),
        ("key", k_server.hex()),
        ("c1", c1.hex()),
        ("s1", s1.hex()),
        ("c2", c2.hex()),
        ("s2", s2.hex()),
        ("c3", c3.hex()),
    ]


def password_lines(passwords):
    if len(passwords) == 1:
        return [("password", passwords[0].hex())]
    return [("old_password", passwords[0].hex()), ("new_password", passwords[1].hex())]


def leading_zero_dhx2():
    """Randomness that makes Mb and K start with a zero byte, to pin left-padding."""
    gen = stream("dhx2-leading-zero-server")
    while True:
        candidate = take(gen, 2 + 128 + 16)
        mb = pow(OAKLEY2_G, int.from_bytes(candidate[2:130], "big"), OAKLEY2_P)
        if mb < (1 << (127 * 8)):
            server_random = candidate
            break
    gen = stream("dhx2-leading-zero-client")
    while True:
        candidate = take(gen, 128 + 16)
        k = pow(mb, int.from_bytes(candidate[:128], "big"), OAKLEY2_P)
        if k < (1 << (127 * 8)):
            return server_random, candidate


def leading_zero_dhcast128():
    """Randomness that makes Mb, Ma and K all start with a zero byte."""
    gen = stream("dhcast128-leading-zero-server")
    while True:
        candidate = take(gen, 50)
        rb = int.from_bytes(candidate[2:34], "big")
        if pow(DHCAST_G, rb, DHCAST_P) < (1 << 120):
            server_random = candidate
            break
    mb = pow(DHCAST_G, rb, DHCAST_P)
    gen = stream("dhcast128-leading-zero-client")
    while True:
        candidate = take(gen, 32)
        ra = int.from_bytes(candidate, "big")
        if pow(DHCAST_G, ra, DHCAST_P) < (1 << 120) and pow(mb, ra, DHCAST_P) < (1 << 120):
            return server_random, candidate


def vectors():
    assert is_probable_prime(OAKLEY2_P) and is_probable_prime((OAKLEY2_P - 1) // 2)
    cases = []

    def rnd(label, n):
        return take(stream(label), n)

    # FPLoginExt, DHX2: the gvfs / macOS path.
    cases.append(
        dhx2("dhx2-login-ext", b"alice", [b"correct horse"], "login_ext", 0,
             rnd("dhx2-1-server", 2 + 128 + 16), rnd("dhx2-1-client", 128 + 16))
    )
    # FPLogin "AFP3.3" "DHX2": UserAuthInfo at offset 1 + 7 + 5 = 13; "bob" needs a pad.
    cases.append(
        dhx2("dhx2-login-pad", b"bob", [b"pw"], "login", 13,
             rnd("dhx2-2-server", 2 + 128 + 16), rnd("dhx2-2-client", 128 + 16))
    )
    # Nonces of all ones: "+1" wraps to zero (spec §11).
    sr = rnd("dhx2-3-server", 2 + 128) + b"\xff" * 16
    cr = rnd("dhx2-3-client", 128) + b"\xff" * 16
    cases.append(dhx2("dhx2-nonce-wrap", b"carol", [b"x" * 256], "login_ext", 0, sr, cr))
    sr, cr = leading_zero_dhx2()
    cases.append(dhx2("dhx2-leading-zero", b"dave", [b"zero"], "login_ext", 0, sr, cr))
    cases.append(
        dhx2("dhx2-change", b"erin", [b"old secret", b"new secret"], "change", 0,
             rnd("dhx2-5-server", 2 + 128 + 16), rnd("dhx2-5-client", 128 + 16))
    )

    # FPLogin "AFP3.1" "DHCAST128": UserAuthInfo at 1 + 7 + 10 = 18; "fred" needs a pad.
    cases.append(
        dhcast128("dhcast128-login-pad", b"fred", [b"sesame"], "login", 18,
                  rnd("dhcast-1-server", 50), rnd("dhcast-1-client", 32))
    )
    cases.append(
        dhcast128("dhcast128-login-ext", b"grace", [b"y" * 64], "login_ext", 0,
                  rnd("dhcast-2-server", 50), rnd("dhcast-2-client", 32))
    )
    sr, cr = leading_zero_dhcast128()
    cases.append(dhcast128("dhcast128-leading-zero", b"heidi", [b"z"], "login_ext", 0, sr, cr))
    cases.append(
        dhcast128("dhcast128-change", b"ivan", [b"oldpw", b"newpw"], "change", 0,
                  rnd("dhcast-4-server", 50), rnd("dhcast-4-client", 32))
    )
    return cases


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "macroman":
        table = bytes(range(0x80, 0x100)).decode("mac_roman")
        print(" ".join("%04X" % ord(c) for c in table))
        return
    out = ["# Generated by uam_kat.py (pycryptodome CAST-128-CBC, hashlib MD5, pow). Do not edit."]
    for case in vectors():
        out.append("")
        for key, value in case:
            out.append("%s = %s" % (key, value))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
