#!/usr/bin/env python3
"""tamper.py STATEMENT OUTPREFIX WHAT...: for each WHAT, write OUTPREFIX-WHAT.json:
STATEMENT with one byte changed in the part WHAT names, found by its value
(so this does not depend on field names):
  spki     the base64 string that decodes to the DER in $SPKI_DER (env)
  link0    the first 130-hex-digit string (a chain link, r||s||v)
  link1    the second one
  app_id   the string equal to the app id in $APP_ID (env)
  purpose  the string that starts with "dstack-pkcs11/statement/v1:"
  domain   the hex string that decodes to a text starting so (a v1 statement)
  api      a v1 statement re-labelled v0: "v1" -> "v0", the domain moved to
           the v0 field "purpose" as text (the links unchanged)
Fails if WHAT is not found exactly as expected."""
import base64
import json
import os
import re
import sys


def strings(node, setter, out):
    """Every string in the document with a function that replaces it."""
    if isinstance(node, dict):
        for k in list(node):
            strings(node[k], lambda v, k=k: node.__setitem__(k, v), out)
    elif isinstance(node, list):
        for i in range(len(node)):
            strings(node[i], lambda v, i=i: node.__setitem__(i, v), out)
    elif isinstance(node, str):
        out.append((node, setter))


def flip_hex(s, pos):
    return s[:pos] + ('0' if s[pos] != '0' else '1') + s[pos + 1:]


def b64_equals(s, der):
    try:
        return base64.b64decode(s, validate=True) == der
    except ValueError:
        return False


def tamper(src, what, out):
    doc = json.load(open(src))
    found = []
    strings(doc, None, found)
    if what == 'spki':
        der = open(os.environ['SPKI_DER'], 'rb').read()
        hits = [h for h in found if b64_equals(h[0], der)]
        assert len(hits) == 1, f'SPKI found {len(hits)} times'
        b = bytearray(der)
        b[-5] ^= 0x01  # inside the key bits
        hits[0][1](base64.b64encode(bytes(b)).decode())
    elif what in ('link0', 'link1'):
        hits = [h for h in found if re.fullmatch(r'[0-9a-fA-F]{130}', h[0])]
        assert len(hits) >= 2, f'{len(hits)} chain links found'
        s, setter = hits[0 if what == 'link0' else 1]
        setter(flip_hex(s, 20))  # inside r
    elif what == 'app_id':
        app = os.environ['APP_ID']
        hits = [h for h in found if h[0].lower().removeprefix('0x') == app]
        assert len(hits) == 1, f'app id found {len(hits)} times'
        hits[0][1](flip_hex(hits[0][0], len(hits[0][0]) - 1))
    elif what == 'purpose':
        hits = [h for h in found if h[0].startswith('dstack-pkcs11/statement/v1:')]
        assert len(hits) == 1, f'purpose found {len(hits)} times'
        hits[0][1](flip_hex(hits[0][0], len(hits[0][0]) - 1))  # last digit of the SPKI hash
    elif what == 'domain':
        hits = [h for h in found if re.fullmatch(r'([0-9a-f]{2})+', h[0]) and
                bytes.fromhex(h[0]).startswith(b'dstack-pkcs11/statement/v1:')]
        assert len(hits) == 1, f'domain found {len(hits)} times'
        hits[0][1](flip_hex(hits[0][0], len(hits[0][0]) - 1))  # last byte of the SPKI hash
    elif what == 'api':
        assert doc.get('api') == 'v1' and 'domain_hex' in doc, 'not a v1 statement'
        doc['api'] = 'v0'
        doc['purpose'] = bytes.fromhex(doc.pop('domain_hex')).decode()
    else:
        sys.exit(f'unknown part {what}')
    with open(out, 'w') as f:
        json.dump(doc, f, indent=2)
        f.write('\n')


for part in sys.argv[3:]:
    tamper(sys.argv[1], part, f'{sys.argv[2]}-{part}.json')
