#!/usr/bin/env python3
"""tamper.py STATEMENT WHAT OUT: write STATEMENT with one byte changed in the
part WHAT names, found by its value (so this does not depend on field names):
  spki     the base64 string that decodes to the DER in $SPKI_DER (env)
  link0    the first 130-hex-digit string (a chain link, r||s||v)
  link1    the second one
  app_id   the string equal to the app id in $APP_ID (env)
  purpose  the string that starts with "dstack-pkcs11/statement/v1:"
Fails if WHAT is not found exactly as expected."""
import base64, json, os, re, sys

src, what, out = sys.argv[1:4]
doc = json.load(open(src))
found = []


def walk(node, setter):
    if isinstance(node, dict):
        for k in list(node):
            walk(node[k], lambda v, k=k: node.__setitem__(k, v))
    elif isinstance(node, list):
        for i in range(len(node)):
            walk(node[i], lambda v, i=i: node.__setitem__(i, v))
    elif isinstance(node, str):
        found.append((node, setter))


walk(doc, None)


def flip_hex(s, pos):
    c = s[pos]
    return s[:pos] + ('0' if c != '0' else '1') + s[pos + 1:]


if what == 'spki':
    der = open(os.environ['SPKI_DER'], 'rb').read()
    hits = []
    for s, setter in found:
        try:
            if base64.b64decode(s, validate=True) == der:
                hits.append((s, setter))
        except Exception:
            pass
    assert len(hits) == 1, f'SPKI found {len(hits)} times'
    b = bytearray(der)
    b[-5] ^= 0x01  # inside the key bits
    hits[0][1](base64.b64encode(bytes(b)).decode())
elif what in ('link0', 'link1'):
    hits = [(s, st) for s, st in found if re.fullmatch(r'[0-9a-fA-F]{130}', s)]
    assert len(hits) >= 2, f'{len(hits)} chain links found'
    s, setter = hits[0 if what == 'link0' else 1]
    setter(flip_hex(s, 20))  # inside r
elif what == 'app_id':
    hits = [(s, st) for s, st in found if s.lower().removeprefix('0x') == os.environ['APP_ID']]
    assert len(hits) == 1, f'app id found {len(hits)} times'
    s, setter = hits[0]
    setter(flip_hex(s, len(s) - 1))
elif what == 'purpose':
    hits = [(s, st) for s, st in found if s.startswith('dstack-pkcs11/statement/v1:')]
    assert len(hits) == 1, f'purpose found {len(hits)} times'
    s, setter = hits[0]
    setter(flip_hex(s, len(s) - 1))  # the last hex digit of the SPKI hash
else:
    sys.exit(f'unknown part {what}')
with open(out, 'w') as f:
    json.dump(doc, f, indent=2)
    f.write('\n')
