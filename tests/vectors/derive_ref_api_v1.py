#!/usr/bin/env python3
"""Independent reference for two sources of M beside the v0 GetKey
(docs/derivation.md sections 9 and 10):

  - dstack 0.6's /v1 GetKey: M = HKDF-SHA256(salt "dstack-guest-v1", app key,
    LP("dstack-guest-v1-key") || LP(algorithm) || LP(domain)), then the same
    derivation contract v1 for every type (tests/vectors/derivation-api-v1.json);
  - the tappd-p256 type: the P-256 key whose scalar is the v0 M itself, as
    tappd's DeriveKey gave (tests/vectors/tappd-p256.json).

Python 3 standard library only; shares no code with keys/ (it uses the
primitives of derive_ref.py, the contract's other Python reference). Written
from dstack's docs/guest-api-v1.md and docs/derivation.md.

    derive_ref_api_v1.py --write-v1 FILE | --check-v1 FILE
    derive_ref_api_v1.py --write-tappd FILE | --check-tappd FILE

Both first reproduce every published vector of docs/guest-api-v1.md (keys,
public keys and the worked link 0, an RFC 6979 recoverable signature).
"""
import argparse
import hashlib
import hmac
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import derive_ref as ref  # noqa: E402

SIM_APP_KEY = "d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d"
DOC_APP_KEY = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"

# docs/guest-api-v1.md "Test vectors": (domain, algorithm, key, public key).
PUBLISHED = [
    (b"", "secp256k1", "59f60584ce6fd2a3a31997256db9d77322463fc8a6b1520110401bcb1ee92387",
     "0377c7fb050db181d392266a3cee9adb2901c6d665f11bac68be5457f577ba4908"),
    (b"", "ed25519", "b023493030669cf22e9cafa6a464d4cf3ae4edfe5474ec796710f21ea011946d",
     "a3dc149fd5b765eab2eb7d3174fa939e39386898f10b15b7b146f6f1358ecf2a"),
    (b"storage-encryption", "secp256k1",
     "5510330f86902ddae38c6d89c93a8408019332c17a429e1abd01c4a28d1544a6",
     "03d962450a41748021c8b02787ac36ce642ff0ae25f4c55019eb527e1112cfd764"),
    (b"storage-encryption", "ed25519",
     "3c4c3ece12fa99ccb93fc0090877f80e70545fdd971e2ac93d3398c4684538d3",
     "2380c4a33a60b60613fa43866421e5b96eb8dcde211317200fd0d41e7e491288"),
    (b"a/b/c", "secp256k1", "7f0973449298085d2d36a3b4c4d3243c100ba1981ffa885fe9e9dee883e69538",
     "02e9b1a61b6d70aa9b241753828c316bf90e33e77b2e113f9ba75a8b6dc3cde5c1"),
    (b"k\x00:ey", "ed25519", "42da8bf0b479ed125c370e3b91f982735bf08ff592abbd586985affa43ee96a1",
     "c833107822b003ff5675b33b90b151d4315c3ab9162b17d876e8dffde41abf9b"),
]
PUBLISHED_LINK0 = ("5b6193729ce7976ec67863f21692d4b98c69832698aae8e001a7d33a6f818b6e"
                   "46ca950725b6e90e8ca9bcf394abd03ce264bf9b7eec1e91693247f9dd53c26901")

P256_N = ref.P256.n


def lp(x):
    return len(x).to_bytes(4, "big") + x


def v1_material(app_key, algorithm, domain):
    info = lp(b"dstack-guest-v1-key") + lp(algorithm.encode()) + lp(domain)
    return ref.hkdf_sha256(app_key, b"dstack-guest-v1", info, 32)


def compressed(curve, d):
    x, y = curve.mul(d)
    return bytes([2 + (y & 1)]) + x.to_bytes(32, "big")


def getkey_public(algorithm, m):
    if algorithm == "ed25519":
        return ref.ed25519_public(m)
    return compressed(ref.SECP256K1, ref.secp256k1_scalar(m))


def rfc6979_k(d, h, n):
    """RFC 6979 3.2 with HMAC-SHA256, qlen = 256 (secp256k1)."""
    x, z = d.to_bytes(32, "big"), (int.from_bytes(h, "big") % n).to_bytes(32, "big")
    v, k = b"\x01" * 32, b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x + z, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x + z, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        t = int.from_bytes(v, "big")
        if 1 <= t < n:
            return t
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def sign_recoverable(d, h):
    """secp256k1 ECDSA r || s || v, low-S, as dstack's chain links."""
    c = ref.SECP256K1
    n = c.n
    k = rfc6979_k(d, h, n)
    rx, ry = c.mul(k)
    r = rx % n
    s = pow(k, -1, n) * (int.from_bytes(h, "big") + r * d) % n
    v = (ry & 1) | (2 if rx >= n else 0)
    if s > n // 2:
        s, v = n - s, v ^ 1
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])


def v1_claim(algorithm, domain, public_key):
    return (lp(b"dstack-guest-v1-key-claim") + lp(algorithm.encode()) + lp(domain) +
            lp(public_key))


def check_published():
    app = bytes.fromhex(DOC_APP_KEY)
    for domain, alg, key, pub in PUBLISHED:
        m = v1_material(app, alg, domain)
        assert m.hex() == key, "published v1 key %r %s" % (domain, alg)
        assert getkey_public(alg, m).hex() == pub, "published v1 public key %r %s" % (domain, alg)
    claim = v1_claim("secp256k1", b"storage-encryption", bytes.fromhex(PUBLISHED[2][3]))
    link0 = sign_recoverable(int(DOC_APP_KEY, 16), ref.keccak256(claim))
    assert link0.hex() == PUBLISHED_LINK0, "published v1 link 0"


# ------------------------------------------------------------ the vectors

DOMAINS = ["", "my-app/tls", "ключ/ñ/🔑"]
DOMAINS_FOR = {"rsa-2048": DOMAINS[:2], "rsa-3072": DOMAINS[1:2], "rsa-4096": DOMAINS[1:2]}
TAPPD_PATHS = ["", "test/wallet", "/eth/main-wallet", "my-app/tls"]


def v1_vector(key_type, domain, app_key):
    db = domain.encode("utf-8")
    alg = ref.getkey_algorithm(key_type)
    m = v1_material(app_key, alg, db)
    v = {"type": key_type, "api": "v1", "domain": domain, "domain_hex": db.hex(),
         "getkey_algorithm": alg, "material": m.hex(),
         "getkey_public_key": getkey_public(alg, m).hex()}
    # From M on, the derivation contract is the v0 one: derive_ref.vector's
    # type-specific part, fed this M.
    if key_type == "secp256k1":
        pub = ref.SECP256K1.encode(ref.SECP256K1.mul(ref.secp256k1_scalar(m)))
        v["public_key"] = pub.hex()
        v["eth_address"] = ref.eth_address(pub)
    elif key_type == "ed25519":
        v["public_key"] = ref.ed25519_public(m).hex()
        v["signature"] = ref.ed25519_sign(m, ref.MESSAGE).hex()
    elif key_type in ref.NIST:
        curve = ref.NIST[key_type]
        v["public_key"] = curve.encode(curve.mul(ref.nist_scalar(key_type, m))).hex()
    else:
        key = ref.rsa_key(key_type, m)
        v["n"] = "%x" % key["n"]
        v["e"] = key["e"]
        v["signature"] = ref.rsa_sign_pkcs1_sha256(key, ref.MESSAGE).hex()
    return v


def compute_v1():
    app = bytes.fromhex(SIM_APP_KEY)
    out = [v1_vector(t, d, app) for t in ref.TYPES for d in DOMAINS_FOR.get(t, DOMAINS)]
    return {
        "contract": "dstack-pkcs11 derivation v1 (docs/derivation.md), M from dstack 0.6 /v1 GetKey",
        "generator": "tests/vectors/derive_ref_api_v1.py",
        "app_key": SIM_APP_KEY,
        "app_key_source": "k256_key of the official dstack simulator appkeys.json",
        "material_rule": "material = HKDF-SHA256(salt='dstack-guest-v1', IKM=app_key, "
                         "info=LP('dstack-guest-v1-key') || LP(getkey_algorithm) || LP(domain), L=32)",
        "message": ref.MESSAGE.decode(),
        "signatures": "ed25519: RFC 8032 over message; rsa: RSASSA-PKCS1-v1_5 SHA-256 over message",
        "published_app_key": DOC_APP_KEY,
        "published": [{"domain_hex": d.hex(), "algorithm": a, "key": k, "public_key": p}
                      for d, a, k, p in PUBLISHED],
        "published_link0": {"domain": "storage-encryption", "algorithm": "secp256k1",
                            "link0": PUBLISHED_LINK0},
        "vectors": out,
    }


def tappd_vector(path, app_key):
    pb = path.encode("utf-8")
    m = ref.dstack_material(app_key, pb)
    d = int.from_bytes(m, "big")
    if d == 0 or d >= P256_N:
        raise ref.UnusableMaterial("P-256 scalar out of range")
    return {"type": "tappd-p256", "api": "v0", "path": path, "path_hex": pb.hex(),
            "getkey_algorithm": "secp256k1", "material": m.hex(),
            "public_key": ref.P256.encode(ref.P256.mul(d)).hex()}


def compute_tappd():
    app = bytes.fromhex(SIM_APP_KEY)
    return {
        "contract": "dstack-pkcs11 type tappd-p256 (docs/derivation.md section 10)",
        "generator": "tests/vectors/derive_ref_api_v1.py",
        "app_key": SIM_APP_KEY,
        "app_key_source": "k256_key of the official dstack simulator appkeys.json",
        "material_rule": "material = HKDF-SHA256(salt='RATLS', IKM=app_key, info=path, L=32) "
                         "(v0 GetKey); private scalar = int(material) on P-256, never reduced",
        "vectors": [tappd_vector(p, app) for p in TAPPD_PATHS],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    for name in ("write-v1", "check-v1", "write-tappd", "check-tappd"):
        g.add_argument("--" + name, metavar="FILE")
    args = ap.parse_args()
    ref.selftest()
    check_published()
    if args.write_v1 or args.check_v1:
        data, path, write = compute_v1(), args.write_v1 or args.check_v1, bool(args.write_v1)
    else:
        data, path, write = compute_tappd(), args.write_tappd or args.check_tappd, bool(args.write_tappd)
    if write:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("wrote %d vectors to %s" % (len(data["vectors"]), path))
        return 0
    with open(path, encoding="utf-8") as f:
        stored = json.load(f)
    if stored != data:
        for k in sorted(set(stored) | set(data)):
            if stored.get(k) != data.get(k):
                print("field %s differs" % k)
        print("FAIL: %s differs from this implementation" % path)
        return 1
    print("OK: %d vectors in %s match this implementation (and the published v1 vectors)"
          % (len(data["vectors"]), path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
