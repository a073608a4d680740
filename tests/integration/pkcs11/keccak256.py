#!/usr/bin/python3
"""Ethereum address of an uncompressed secp256k1 public key.

Usage: keccak256.py --address HEX_04XY  -> 0x... (EIP-55 checksummed)
       keccak256.py HEX                 -> keccak-256 of the bytes, hex

Legacy Keccak-256 (0x01 padding, not SHA3's 0x06): the standard library's
hashlib.sha3_256 is the NIST variant and gives different digests, so the
permutation is written out here (no third-party package, no network).
"""
import sys

_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
# Rotation offsets r[x][y] of the rho step.
_ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61],
        [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
_M = (1 << 64) - 1


def _rol(v, n):
    return ((v << n) | (v >> (64 - n))) & _M if n else v


def _f1600(a):
    for rc in _RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rol(a[x][y], _ROT[x][y])
        a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)]
             for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data):
    rate = 136
    msg = bytearray(data) + b"\x01"
    msg += b"\x00" * (-len(msg) % rate)
    msg[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        block = msg[off:off + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            a[x][y] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        a = _f1600(a)
    out = b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out


def eth_address(point):
    if len(point) != 65 or point[0] != 4:
        raise SystemExit("want an uncompressed point 04||X||Y (65 bytes), got %d bytes" % len(point))
    addr = keccak256(point[1:])[-20:].hex()
    check = keccak256(addr.encode()).hex()
    return "0x" + "".join(c.upper() if int(check[i], 16) >= 8 else c for i, c in enumerate(addr))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--address":
        print(eth_address(bytes.fromhex(sys.argv[2])))
    elif len(sys.argv) == 2:
        print(keccak256(bytes.fromhex(sys.argv[1])).hex())
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
