#!/usr/bin/env python3
"""Search a core dump for the private bytes of dstack keys.

keysearch.py CORE SIM_SOCK SPEC... where SPEC is label:path:type. For each
key the test itself learns M from the simulator (GetKey over SIM_SOCK, as
the module asks) and the private scalar from the independent reference
derivation (tests/vectors/derive_ref.py); it then counts, in CORE, M (raw and
as hex text) and the scalar (big-endian, and little-endian as a BIGNUM keeps
it). Prints one line per key: "label found" or "label absent", with what
was found where."""
import json
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "vectors"))
import derive_ref  # noqa: E402


def getkey(sock, path, algorithm):
    body = json.dumps({"path": path, "purpose": "", "algorithm": algorithm}).encode()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.sendall(b"POST /GetKey HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    if b"chunked" in head.lower():
        out, rest = b"", payload
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            n = int(size_line.split(b";")[0], 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        payload = out
    return bytes.fromhex(json.loads(payload)["key"])


def forms(key_type, m):
    f = {"M": m, "M-hex": m.hex().encode()}
    if key_type == "secp256k1":
        d = derive_ref.secp256k1_scalar(m)
    elif key_type == "ed25519":
        return f  # the seed is M
    elif key_type in ("ec-p256", "ec-p384"):
        d = derive_ref.nist_scalar(key_type, m)
    else:
        raise SystemExit("keysearch.py: type %s not supported" % key_type)
    n = (d.bit_length() + 7) // 8
    f["scalar-be"] = d.to_bytes(n, "big")
    f["scalar-le"] = d.to_bytes(n, "little")
    return f


def main():
    core = open(sys.argv[1], "rb").read()
    for spec in sys.argv[3:]:
        label, path, key_type = spec.split(":")
        m = getkey(sys.argv[2], path, derive_ref.getkey_algorithm(key_type))
        hits = ["%s at %d" % (name, core.find(b)) for name, b in forms(key_type, m).items()
                if core.find(b) >= 0]
        print("%s %s%s" % (label, "found" if hits else "absent",
                           (": " + ", ".join(hits)) if hits else ""))


if __name__ == "__main__":
    main()
