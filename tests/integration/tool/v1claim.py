#!/usr/bin/env python3
"""v1claim.py APPKEYS STATEMENT [--explain]: what the app root key signed in
a v1 key statement (docs/provenance.md "v1 statements"), recomputed from the
simulator's app key file with tests/vectors/derive_ref_api_v1.py's primitives
(Python only, no code shared with keys/ or trust/):

  - the statement domain is "dstack-pkcs11/statement/v1:<type>:<SHA-256 spki>";
  - chain_public_key is the public key of the throw-away key M' that
    /v1/GetKey derives for that domain (M' = HKDF per dstack's v1 KDF);
  - link 0 is the app key's RFC 6979 signature over keccak256 of
    LP("dstack-guest-v1-key-claim") || LP(alg) || LP(domain) || LP(P');
  - link 1 is the app key file's k256_signature (the KMS's).
Exits non-zero naming the first field that differs. --explain prints every
intermediate value (the worked example of docs/provenance.md)."""
import base64
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "vectors"))
import derive_ref as ref  # noqa: E402
import derive_ref_api_v1 as v1  # noqa: E402


def main():
    keys = json.load(open(sys.argv[1]))
    st = json.load(open(sys.argv[2]))
    explain = "--explain" in sys.argv[3:]
    app_key = bytes.fromhex(keys["k256_key"])
    spki = base64.b64decode(st["spki"])
    alg = st["algorithm"]
    domain = b"dstack-pkcs11/statement/v1:%s:%s" % (st["key_type"].encode(),
                                                     hashlib.sha256(spki).hexdigest().encode())
    m2 = v1.v1_material(app_key, alg, domain)
    p2 = v1.getkey_public(alg, m2)
    claim = v1.v1_claim(alg, domain, p2)
    digest0 = ref.keccak256(claim)
    link0 = v1.sign_recoverable(int.from_bytes(app_key, "big"), digest0)
    app_pub = v1.compressed(ref.SECP256K1, int.from_bytes(app_key, "big"))
    msg1 = b"dstack-kms-issued:" + bytes.fromhex(st["app_id"]) + app_pub
    want = {
        "api": "v1",
        "domain_hex": domain.hex(),
        "chain_public_key": p2.hex(),
        "signature_chain": [link0.hex(), keys["k256_signature"]],
    }
    for field, value in want.items():
        if st.get(field) != value:
            sys.exit("v1claim: %s is %r, recomputed %r" % (field, st.get(field), value))
    if explain:
        for name, value in [("spki (DER, hex)", spki.hex()),
                            ("SHA-256(spki)", hashlib.sha256(spki).hexdigest()),
                            ("statement domain", domain.decode()),
                            ("M' (throw-away, wiped)", m2.hex()),
                            ("P' = chain_public_key", p2.hex()),
                            ("claim (hex, %d bytes)" % len(claim), claim.hex()),
                            ("digest0 = keccak256(claim)", digest0.hex()),
                            ("link 0", link0.hex()),
                            ("app root key", app_pub.hex()),
                            ("message1 (hex)", msg1.hex()),
                            ("digest1 = keccak256(message1)", ref.keccak256(msg1).hex())]:
            print("%s\t%s" % (name, value))


main()
