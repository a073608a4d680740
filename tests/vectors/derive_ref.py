#!/usr/bin/env python3
"""Independent reference implementation of the dstack-pkcs11 derivation
contract v1 (docs/derivation.md).

Python 3 standard library only; shares no code with keys/. Written from the
text of docs/derivation.md, SP 800-90A, FIPS 186-5, RFC 5869 and RFC 8032.

    derive_ref.py --write FILE   compute every vector and write FILE
    derive_ref.py --check FILE   recompute every vector; exit 1 on any difference
    derive_ref.py --write-search FILE / --check-search FILE
                                 the same for the RSA prime search step by step
                                 (tests/vectors/rsa-search-v1.json)

Both run the self-tests first (published known answers for HKDF, Keccak-256,
Ed25519, HMAC_DRBG and the curves), so a broken primitive cannot silently
produce vectors.
"""
import argparse
import hashlib
import hmac
import json
import math
import sys

# ---------------------------------------------------------------- primitives


def hkdf_sha256(ikm, salt, info, length):
    """RFC 5869 HKDF with SHA-256 (extract then expand)."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def _keccak_f1600(state):
    """Keccak-f[1600] on 25 lanes (x + 5*y); round constants and rotation
    offsets computed from their definitions in the Keccak reference."""
    def rol(v, n):
        n %= 64
        return ((v << n) | (v >> (64 - n))) & 0xFFFFFFFFFFFFFFFF

    # Round constants from the LFSR x^8 + x^6 + x^5 + x^4 + 1.
    rc, r = [], 1
    for _ in range(24):
        c = 0
        for j in range(7):
            if r & 1:
                c |= 1 << ((1 << j) - 1)
            r = ((r << 1) ^ 0x71) & 0xFF if r & 0x80 else r << 1
        rc.append(c)
    # Rotation offsets: walk (x, y) -> (y, 2x + 3y) from (1, 0).
    rot = [0] * 25
    x, y = 1, 0
    for t in range(24):
        rot[x + 5 * y] = (t + 1) * (t + 2) // 2
        x, y = y, (2 * x + 3 * y) % 5
    a = list(state)
    for rnd in range(24):
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        d = [c[(x - 1) % 5] ^ rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [a[i] ^ d[i % 5] for i in range(25)]
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                b[y + 5 * ((2 * x + 3 * y) % 5)] = rol(a[x + 5 * y], rot[x + 5 * y])
        a = [b[i] ^ ((~b[(i % 5 + 1) % 5 + 5 * (i // 5)]) & b[(i % 5 + 2) % 5 + 5 * (i // 5)])
             for i in range(25)]
        a[0] ^= rc[rnd]
    return a


def keccak256(data):
    """Original Keccak-256 (padding 0x01 ... 0x80), as Ethereum uses; not
    SHA3-256, whose padding differs."""
    rate = 136
    msg = bytearray(data) + b"\x01"
    msg += b"\x00" * (-len(msg) % rate)
    msg[-1] |= 0x80
    state = [0] * 25
    for off in range(0, len(msg), rate):
        for i in range(rate // 8):
            state[i] ^= int.from_bytes(msg[off + 8 * i:off + 8 * i + 8], "little")
        state = _keccak_f1600(state)
    return b"".join(state[i].to_bytes(8, "little") for i in range(4))


def eth_address(pub_uncompressed):
    """EIP-55 checksummed address of a 65-byte uncompressed secp256k1 point."""
    return eip55(keccak256(pub_uncompressed[1:])[-20:].hex())


def eip55(addr):
    """EIP-55 mixed-case checksum of 40 lowercase hex digits."""
    check = keccak256(addr.encode()).hex()
    return "0x" + "".join(ch.upper() if int(check[i], 16) >= 8 else ch
                          for i, ch in enumerate(addr))


class HmacDrbg:
    """SP 800-90A HMAC_DRBG, SHA-256, no reseed, no additional input."""

    def __init__(self, seed_material):
        self.k = b"\x00" * 32
        self.v = b"\x01" * 32
        self._update(seed_material)

    def _hmac(self, data):
        return hmac.new(self.k, data, hashlib.sha256).digest()

    def _update(self, data):
        self.k = self._hmac(self.v + b"\x00" + data)
        self.v = self._hmac(self.v)
        if data:
            self.k = self._hmac(self.v + b"\x01" + data)
            self.v = self._hmac(self.v)

    def generate(self, nbytes):
        out = b""
        while len(out) < nbytes:
            self.v = self._hmac(self.v)
            out += self.v
        self._update(b"")
        return out[:nbytes]


# ------------------------------------------------------- short Weierstrass


class Curve:
    def __init__(self, name, p, a, b, gx, gy, n):
        self.name, self.p, self.a, self.b, self.g, self.n = name, p, a % p, b, (gx, gy), n
        self.size = (p.bit_length() + 7) // 8

    def on_curve(self, pt):
        x, y = pt
        return (y * y - x * x * x - self.a * x - self.b) % self.p == 0

    def add(self, p1, p2):
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        (x1, y1), (x2, y2), p = p1, p2, self.p
        if x1 == x2:
            if (y1 + y2) % p == 0:
                return None
            lam = (3 * x1 * x1 + self.a) * pow(2 * y1, -1, p) % p
        else:
            lam = (y2 - y1) * pow(x2 - x1, -1, p) % p
        x3 = (lam * lam - x1 - x2) % p
        return (x3, (lam * (x1 - x3) - y1) % p)

    def mul(self, k, pt=None):
        pt = self.g if pt is None else pt
        acc = None
        for bit in bin(k)[2:]:
            acc = self.add(acc, acc)
            if bit == "1":
                acc = self.add(acc, pt)
        return acc

    def encode(self, pt):
        return b"\x04" + pt[0].to_bytes(self.size, "big") + pt[1].to_bytes(self.size, "big")


SECP256K1 = Curve(
    "secp256k1", 2**256 - 2**32 - 977, 0, 7,
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
    0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141)
P256 = Curve(
    "P-256", 2**256 - 2**224 + 2**192 + 2**96 - 1, -3,
    0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
    0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551)
P384 = Curve(
    "P-384", 2**384 - 2**128 - 2**96 + 2**32 - 1, -3,
    0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
    0xAA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7,
    0x3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F,
    0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973)

# ------------------------------------------------------------ Ed25519 (RFC 8032)

ED_P = 2**255 - 19
ED_L = 2**252 + 27742317777372353535851937790883648493
ED_D = -121665 * pow(121666, -1, ED_P) % ED_P


def _ed_add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % ED_P
    b = (y1 + x1) * (y2 + x2) % ED_P
    c = 2 * t1 * t2 * ED_D % ED_P
    d = 2 * z1 * z2 % ED_P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % ED_P, g * h % ED_P, f * g % ED_P, e * h % ED_P)


def _ed_mul(k, pt):
    acc = (0, 1, 1, 0)
    for bit in bin(k)[2:]:
        acc = _ed_add(acc, acc)
        if bit == "1":
            acc = _ed_add(acc, pt)
    return acc


def _ed_base():
    y = 4 * pow(5, -1, ED_P) % ED_P
    x2 = (y * y - 1) * pow(ED_D * y * y + 1, -1, ED_P) % ED_P
    x = pow(x2, (ED_P + 3) // 8, ED_P)
    if (x * x - x2) % ED_P:
        x = x * pow(2, (ED_P - 1) // 4, ED_P) % ED_P
    if x & 1:
        x = ED_P - x
    return (x, y, 1, x * y % ED_P)


ED_B = _ed_base()


def _ed_encode(pt):
    x, y, z, _ = pt
    zi = pow(z, -1, ED_P)
    x, y = x * zi % ED_P, y * zi % ED_P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _ed_expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed25519_public(seed):
    return _ed_encode(_ed_mul(_ed_expand(seed)[0], ED_B))


def ed25519_sign(seed, msg):
    a, prefix = _ed_expand(seed)
    pub = _ed_encode(_ed_mul(a, ED_B))
    r = int.from_bytes(hashlib.sha512(prefix + msg).digest(), "little") % ED_L
    big_r = _ed_encode(_ed_mul(r, ED_B))
    k = int.from_bytes(hashlib.sha512(big_r + pub + msg).digest(), "little") % ED_L
    return big_r + ((r + k * a) % ED_L).to_bytes(32, "little")


# ------------------------------------------------------------- contract v1

SALT = b"dstack-pkcs11/derive/v1"
RSA_E = 65537
MR_ROUNDS = 5
MAX_CANDIDATES = 100000
SMALL_PRIME_BOUND = 2048
_SIEVE = [i for i in range(3, SMALL_PRIME_BOUND, 2) if all(i % j for j in range(3, math.isqrt(i) + 1, 2))]
SMALL_PRIMES_PRODUCT = math.prod(_SIEVE)
NIST = {"ec-p256": P256, "ec-p384": P384}
RSA_BITS = {"rsa-2048": 2048, "rsa-3072": 3072, "rsa-4096": 4096}
TYPES = ["secp256k1", "ed25519", "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"]


class UnusableMaterial(Exception):
    pass


def dstack_material(app_key, path):
    """What the dstack agent returns for GetKey(path): dstack-protocol.md."""
    return hkdf_sha256(app_key, b"RATLS", path, 32)


def getkey_algorithm(key_type):
    return "ed25519" if key_type == "ed25519" else "secp256k1"


def secp256k1_scalar(m):
    d = int.from_bytes(m, "big")
    if d == 0 or d >= SECP256K1.n:
        raise UnusableMaterial("secp256k1 scalar out of range")
    return d


def nist_scalar(key_type, m):
    curve = NIST[key_type]
    nbits = curve.n.bit_length()
    c = int.from_bytes(hkdf_sha256(m, SALT, key_type.encode(), (nbits + 64) // 8), "big")
    return c % (curve.n - 1) + 1


# Deliberately wrong readings of the contract, used only to show that the
# search vectors (rsa-search-v1.json) tell each of them from the contract.
VARIANTS = {
    "no_trial_division": {"trial_division": False},
    "no_e_rule": {"e_rule": False},
    "no_distance_rule": {"distance_rule": False},
    "mr_4_rounds": {"mr_rounds": 4},
}
CONTRACT = {"trial_division": True, "e_rule": True, "distance_rule": True, "mr_rounds": MR_ROUNDS}


def _miller_rabin(drbg, w, wbytes, stats, rules=CONTRACT):
    w1 = w - 1
    a = (w1 & -w1).bit_length() - 1
    m = w1 >> a
    for _ in range(rules["mr_rounds"]):
        while True:
            b = int.from_bytes(drbg.generate(wbytes), "big")
            stats["base_draws"] += 1
            if 1 < b < w1:
                break
            stats["base_redraws"] += 1
        z = pow(b, m, w)
        if z in (1, w1):
            continue
        for _ in range(1, a):
            z = z * z % w
            if z == w1:
                break
            if z == 1:
                return False
        else:
            return False
    return True


def _find_prime(drbg, bits, other, stats, rules=CONTRACT):
    for _ in range(MAX_CANDIDATES):
        c = int.from_bytes(drbg.generate(bits // 8), "big") | (3 << (bits - 2)) | 1
        stats["candidates"] += 1
        if rules["trial_division"] and math.gcd(c, SMALL_PRIMES_PRODUCT) != 1:
            stats["rejected_trial_division"] += 1
            continue
        if rules["e_rule"] and c % RSA_E == 1:
            stats["rejected_e_rule"] += 1
            continue
        if rules["distance_rule"] and other is not None and abs(c - other) <= 1 << (bits - 100):
            stats["rejected_distance"] += 1
            continue
        stats["mr_tested"] += 1
        if _miller_rabin(drbg, c, bits // 8, stats, rules):
            return c
        stats["rejected_miller_rabin"] += 1
    raise UnusableMaterial("no prime within %d candidates" % MAX_CANDIDATES)


SEARCH_COUNTS = ("candidates", "rejected_trial_division", "rejected_e_rule", "rejected_distance",
                 "rejected_miller_rabin", "mr_tested", "base_draws", "base_redraws")


def rsa_key(key_type, m, trace=None, rules=CONTRACT):
    nlen = RSA_BITS[key_type]
    seed = hkdf_sha256(m, SALT, key_type.encode(), 48)
    drbg = HmacDrbg(seed)
    sp = dict.fromkeys(SEARCH_COUNTS, 0)
    sq = dict(sp)
    p = _find_prime(drbg, nlen // 2, None, sp, rules)
    q = _find_prime(drbg, nlen // 2, p, sq, rules)
    if trace is not None:
        trace.update({"drbg_seed": seed.hex(), "first_prime": "%x" % p, "first_prime_search": sp,
                      "second_prime": "%x" % q, "second_prime_search": sq})
    if p < q:
        p, q = q, p
    lam = (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)
    d = pow(RSA_E, -1, lam)
    return {"n": p * q, "e": RSA_E, "d": d, "p": p, "q": q,
            "dp": d % (p - 1), "dq": d % (q - 1), "qinv": pow(q, -1, p)}


SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def rsa_sign_pkcs1_sha256(key, msg):
    k = (key["n"].bit_length() + 7) // 8
    t = SHA256_DIGEST_INFO + hashlib.sha256(msg).digest()
    em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    x = int.from_bytes(em, "big")
    s1 = pow(x, key["dp"], key["p"])
    s2 = pow(x, key["dq"], key["q"])
    s = s2 + key["qinv"] * (s1 - s2) % key["p"] * key["q"]
    assert pow(s, key["e"], key["n"]) == x
    return s.to_bytes(k, "big")


# ----------------------------------------------------------------- vectors

MESSAGE = b"dstack-pkcs11 derivation contract v1 known answer"
LONG_PATH = "long/" + "/".join("segment-%02d-abcdefghijklmnop" % i for i in range(12))
PATHS = ["", "test/wallet", "/eth/main-wallet", "ключ/ñ/🔑", LONG_PATH]
# RSA is slow in pure Python: fewer paths for the larger moduli.
PATHS_FOR = {"rsa-3072": PATHS[:3], "rsa-4096": PATHS[:2]}


def vector(key_type, path, app_key):
    pb = path.encode("utf-8")
    m = dstack_material(app_key, pb)
    v = {"type": key_type, "path": path, "path_hex": pb.hex(),
         "getkey_algorithm": getkey_algorithm(key_type), "material": m.hex()}
    if key_type == "secp256k1":
        pub = SECP256K1.encode(SECP256K1.mul(secp256k1_scalar(m)))
        v["public_key"] = pub.hex()
        v["eth_address"] = eth_address(pub)
    elif key_type == "ed25519":
        v["public_key"] = ed25519_public(m).hex()
        v["signature"] = ed25519_sign(m, MESSAGE).hex()
    elif key_type in NIST:
        curve = NIST[key_type]
        v["public_key"] = curve.encode(curve.mul(nist_scalar(key_type, m))).hex()
    else:
        key = rsa_key(key_type, m)
        v["n"] = "%x" % key["n"]
        v["e"] = key["e"]
        v["signature"] = rsa_sign_pkcs1_sha256(key, MESSAGE).hex()
    return v


def compute(app_key_hex):
    app_key = bytes.fromhex(app_key_hex)
    out = []
    for t in TYPES:
        for path in PATHS_FOR.get(t, PATHS):
            out.append(vector(t, path, app_key))
    return {
        "contract": "dstack-pkcs11 derivation v1 (docs/derivation.md)",
        "generator": "tests/vectors/derive_ref.py",
        "app_key": app_key_hex,
        "app_key_source": "k256_key of the official dstack simulator appkeys.json",
        "material_rule": "material = HKDF-SHA256(salt='RATLS', IKM=app_key, info=path, L=32)",
        "message": MESSAGE.decode(),
        "signatures": "ed25519: RFC 8032 over message; rsa: RSASSA-PKCS1-v1_5 SHA-256 over message",
        "vectors": out,
    }


# ------------------------------------------------- RSA search, step by step

# Paths whose prime searches are pinned count by count. Each is there for a
# reason (why): together they make every rule of the search change a key, so
# that an implementation that skips a rule, or runs 4 Miller-Rabin rounds,
# cannot match this file by luck. search/NNN paths were found by trying
# search/0, search/1, ... for the first whose search rejects a candidate by
# the w mod 65537 rule (about one RSA-2048 key in 600 does).
SEARCH_PATHS = [
    ("rsa-2048", "", "the empty path; bases redrawn in both searches"),
    ("rsa-2048", "test/wallet", "a common path"),
    ("rsa-3072", "", "1536-bit primes"),
]
SEARCH_E_RULE_PATH = ("rsa-2048", "search/3000",
                      "the w mod 65537 rule rejects a candidate of the second prime")


def search_vector(key_type, path, app_key, why):
    pb = path.encode("utf-8")
    m = dstack_material(app_key, pb)
    t = {}
    key = rsa_key(key_type, m, t)
    v = {"type": key_type, "path": path, "path_hex": pb.hex(), "material": m.hex(), "why": why,
         "first_prime_search": t["first_prime_search"],
         "second_prime_search": t["second_prime_search"],
         "p": "%x" % key["p"], "q": "%x" % key["q"], "d": "%x" % key["d"],
         "n": "%x" % key["n"], "e": key["e"]}
    other_key, other_counts = [], []
    for name, change in VARIANTS.items():
        t2 = {}
        try:
            n2 = rsa_key(key_type, m, t2, dict(CONTRACT, **change))["n"]
        except UnusableMaterial:
            n2 = None
        if n2 != key["n"]:
            other_key.append(name)
        if n2 != key["n"] or t2.get("first_prime_search") != t["first_prime_search"] or \
                t2.get("second_prime_search") != t["second_prime_search"]:
            other_counts.append(name)
    v["variants_with_another_key"] = other_key
    v["variants_with_other_counts"] = other_counts
    return v


def compute_search(app_key_hex):
    app_key = bytes.fromhex(app_key_hex)
    paths = SEARCH_PATHS + ([SEARCH_E_RULE_PATH] if SEARCH_E_RULE_PATH else [])
    out = [search_vector(t, p, app_key, why) for t, p, why in paths]
    return {
        "contract": "dstack-pkcs11 derivation v1 (docs/derivation.md), RSA prime search",
        "generator": "tests/vectors/derive_ref.py --write-search",
        "app_key": app_key_hex,
        "material_rule": "material = HKDF-SHA256(salt='RATLS', IKM=app_key, info=path, L=32)",
        "counts": "per prime search: candidates drawn; each rejected by the first rule that "
                  "refused it (trial division by the odd primes below 2048, w mod 65537 == 1, "
                  "|w - p| <= 2^(bits-100)) or tested by Miller-Rabin (mr_tested) and found "
                  "composite (rejected_miller_rabin); base_draws counts every base drawn, "
                  "base_redraws those drawn again because b <= 1 or b >= w - 1",
        "numbers": "p (the larger prime), q, d, n: lower-case hex, no 0x, no leading zeros; "
                   "e: a JSON number; first/second_prime_search are in the order found",
        "variants": "variants_with_another_key lists the wrong readings of the contract "
                    "(VARIANTS in derive_ref.py) that give this path another key, "
                    "variants_with_other_counts those that change a count above (a trace "
                    "checked count by count tells them apart). Skipping the 65537 rule gives "
                    "another key only when the candidate it rejects is prime (about one "
                    "RSA-2048 key in 30 000); no_distance_rule never shows: |p - q| <= "
                    "2^(bits-100) has probability about 2^-98",
        "vectors": out,
    }


def check_search(path, computed):
    with open(path, encoding="utf-8") as f:
        stored = json.load(f)
    bad = 0
    if stored != computed:
        for s, c in zip(stored.get("vectors", []), computed["vectors"]):
            for k in sorted(set(s) | set(c)):
                if s.get(k) != c.get(k):
                    print("%s %r: %s stored %r computed %r" % (c["type"], c["path"], k, s.get(k),
                                                             c.get(k)))
                    bad += 1
        bad = bad or 1
    keyed, counted = set(), set()
    for v in computed["vectors"]:
        keyed.update(v["variants_with_another_key"])
        counted.update(v["variants_with_other_counts"])
    for name in ("no_trial_division", "mr_4_rounds"):
        if name not in keyed:
            print("no vector's key tells the contract from %s" % name)
            bad += 1
    for name in ("no_trial_division", "no_e_rule", "mr_4_rounds"):
        if name not in counted:
            print("no vector's counts tell the contract from %s" % name)
            bad += 1
    return bad


# -------------------------------------------------------------- self-tests


def selftest():
    # RFC 5869 test case 1.
    okm = hkdf_sha256(bytes.fromhex("0b" * 22), bytes.fromhex("000102030405060708090a0b0c"),
                      bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"), 42)
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                         "34007208d5b887185865"), "HKDF"
    assert keccak256(b"").hex() == \
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", "Keccak-256"
    # RFC 8032 7.1 TEST 1.
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    assert ed25519_public(seed).hex() == \
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "Ed25519 public"
    assert ed25519_sign(seed, b"").hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
        "d25bf5f0595bbe24655141438e7a100b"), "Ed25519 signature"
    # CAVP HMAC_DRBG no-reseed, [SHA-256], COUNT 0: the second 128-byte output.
    drbg = HmacDrbg(bytes.fromhex("ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488"
                                  "659ba96c601dc69fc902940805ec0ca8"))
    drbg.generate(128)
    assert drbg.generate(128).hex() == (
        "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89d54fbb978a15b5c443c9ec21036d2460"
        "b6f73ebad0dc2aba6e624abf07745bc107694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668"
        "961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8"), "HMAC_DRBG"
    for curve in (SECP256K1, P256, P384):
        assert curve.on_curve(curve.g) and curve.mul(curve.n) is None, curve.name
    # EIP-55 specification examples.
    for a in ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
              "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"):
        assert eip55(a[2:].lower()) == a, "EIP-55"
    assert len(_SIEVE) == 308 and _SIEVE[-1] == 2039, "small primes"


def check(path, computed):
    with open(path, encoding="utf-8") as f:
        stored = json.load(f)
    bad = 0
    for k in computed:
        if k != "vectors" and stored.get(k) != computed[k]:
            print("field %s differs: stored %r, computed %r" % (k, stored.get(k), computed[k]))
            bad += 1
    sv = stored.get("vectors", [])
    if len(sv) != len(computed["vectors"]):
        print("stored file has %d vectors, computed %d" % (len(sv), len(computed["vectors"])))
        bad += 1
    for s, c in zip(sv, computed["vectors"]):
        for k in sorted(set(s) | set(c)):
            if s.get(k) != c.get(k):
                print("%s %r: %s stored %r computed %r" % (c["type"], c["path"], k, s.get(k), c.get(k)))
                bad += 1
    return bad


def trace(key_type, path, app_key):
    m = dstack_material(app_key, path.encode("utf-8"))
    out = {"type": key_type, "path": path, "material": m.hex()}
    if key_type in NIST:
        nbits = NIST[key_type].n.bit_length()
        out["hkdf_output"] = hkdf_sha256(m, SALT, key_type.encode(), (nbits + 64) // 8).hex()
        out["scalar"] = "%x" % nist_scalar(key_type, m)
    elif key_type in RSA_BITS:
        t = {}
        key = rsa_key(key_type, m, t)
        out.update(t)
        out["p"], out["q"] = "%x" % key["p"], "%x" % key["q"]
    else:
        raise SystemExit("--trace is for the HKDF-derived types")
    print(json.dumps(out, indent=1, ensure_ascii=False))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", metavar="FILE")
    g.add_argument("--check", metavar="FILE")
    g.add_argument("--write-search", metavar="FILE")
    g.add_argument("--check-search", metavar="FILE")
    g.add_argument("--trace", nargs=2, metavar=("TYPE", "PATH"),
                   help="print the intermediate values of one derivation (for docs/derivation.md)")
    ap.add_argument("--app-key", default="d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d",
                    help="hex app key (default: the official simulator's k256_key)")
    args = ap.parse_args()
    selftest()
    if args.trace:
        return trace(args.trace[0], args.trace[1], bytes.fromhex(args.app_key))
    if args.write_search or args.check_search:
        data = compute_search(args.app_key)
        if args.write_search:
            with open(args.write_search, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, ensure_ascii=False)
                f.write("\n")
            print("wrote %d search vectors to %s" % (len(data["vectors"]), args.write_search))
            return 0
        bad = check_search(args.check_search, data)
        if bad:
            print("FAIL: %d differences against %s" % (bad, args.check_search))
            return 1
        print("OK: %d search vectors in %s match, and they tell the contract from every "
              "variant that can be told" % (len(data["vectors"]), args.check_search))
        return 0
    data = compute(args.app_key)
    by = {(v["type"], v["path"]): v for v in data["vectors"]}
    # The SDK equivalences documented in dstack-protocol.md.
    assert by[("secp256k1", "/eth/main-wallet")]["eth_address"] == \
        "0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0", "SDK Ethereum address"
    assert by[("ed25519", "test/wallet")]["public_key"] == \
        "4f019bbd5f3d098befc637447b35356e4df6a8a8733d1f820e6d1a85af83da5e", "SDK Ed25519 key"
    if args.write:
        with open(args.write, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("wrote %d vectors to %s" % (len(data["vectors"]), args.write))
        return 0
    bad = check(args.check, data)
    if bad:
        print("FAIL: %d differences against %s" % (bad, args.check))
        return 1
    print("OK: %d vectors in %s match this implementation" % (len(data["vectors"]), args.check))
    return 0


if __name__ == "__main__":
    sys.exit(main())
