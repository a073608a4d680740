#!/usr/bin/env python3
"""Search files for a dstack key's private material.

    leakcheck.py --type T --path P --pub PUB.pem FILE...

The private values (EC scalar, Ed25519 seed, RSA d/p/q/dp/dq/qinv) come
from the independent derivation reference tests/vectors/derive_ref.py with
the simulator's default application key. They are first checked against
PUB.pem (the public key the provider gave), so a wrong reference cannot make
the search vacuous. Each FILE is searched as raw bytes, as text without
blanks and colons (openssl -text), and with every PEM body base64-decoded.
Exit 0: nothing found; 1: a file holds private material; 2: setup error.
"""
import argparse
import base64
import json
import os
import re
import sys


def load_ref(srcdir):
    sys.path.insert(0, os.path.join(srcdir, "tests", "vectors"))
    import derive_ref  # noqa: E402 (path set just above)
    return derive_ref


def secrets_and_public(ref, app_key, key_type, path):
    m = ref.dstack_material(app_key, path.encode("utf-8"))
    if key_type == "secp256k1":
        d = ref.secp256k1_scalar(m)
        return ["%x" % d], ref.SECP256K1.encode(ref.SECP256K1.mul(d)).hex()
    if key_type == "ed25519":
        return [m.hex()], ref.ed25519_public(m).hex()
    if key_type in ref.NIST:
        curve = ref.NIST[key_type]
        d = ref.nist_scalar(key_type, m)
        return ["%x" % d], curve.encode(curve.mul(d)).hex()
    k = ref.rsa_key(key_type, m)
    return ["%x" % k[f] for f in ("d", "p", "q", "dp", "dq", "qinv")], "%x" % k["n"]


PEM_RE = re.compile(rb"-----BEGIN ([^-]+)-----(.*?)-----END \1-----", re.S)


def views(data):
    """Lower-case hex strings in which a secret could show up."""
    out = [data.hex()]
    text = data.decode("latin-1").lower()
    out.append(re.sub(r"[\s:]", "", text))
    for m in PEM_RE.finditer(data):
        try:
            out.append(base64.b64decode(re.sub(rb"\s", b"", m.group(2))).hex())
        except ValueError:
            pass
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--type", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--pub", required=True)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    ref = load_ref(os.environ["DSK_SRCDIR"])
    appkeys = os.environ["DSK_APPKEYS"]
    app_key = bytes.fromhex(json.load(open(appkeys))["k256_key"])
    secrets, public = secrets_and_public(ref, app_key, a.type, a.path)
    # The search must be able to find what it looks for: every secret, shown
    # as openssl -text shows it and as DER inside PEM, is found (in memory).
    for sec in secrets:
        raw = bytes.fromhex(sec if len(sec) % 2 == 0 else "0" + sec)
        txt = ":".join("%02x" % b for b in raw)
        txt = "priv:\n    " + "\n    ".join(txt[i:i + 45] for i in range(0, len(txt), 45))
        pem = b"-----BEGIN X-----\n" + base64.encodebytes(b"\x04\x20" + raw) + b"-----END X-----\n"
        for sample in (txt.encode(), pem):
            if not any(sec in v for v in views(sample)):
                print("leakcheck: self-test cannot find a secret in %r form" % sample[:20], file=sys.stderr)
                return 2
    pubviews = views(open(a.pub, "rb").read())
    if not any(public in v for v in pubviews):
        print("leakcheck: the reference derivation of %s %s does not give the public key in %s"
              % (a.type, a.path, a.pub), file=sys.stderr)
        return 2
    for f in a.files:
        for v in views(open(f, "rb").read()):
            for s in secrets:
                if s in v:
                    print("leakcheck: %s holds private material of %s %s" % (f, a.type, a.path),
                          file=sys.stderr)
                    return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
