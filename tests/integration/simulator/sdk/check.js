// The official dstack JS SDK against dstack-simulator: the keys, the
// Ethereum address and the signature chain the SDK's users rely on.
'use strict';
const assert = require('node:assert/strict');
const { DstackClient } = require('@phala/dstack-sdk');
const { keccak_256 } = require('@noble/hashes/sha3');
const { secp256k1 } = require('@noble/curves/secp256k1');

const hex = (b) => Buffer.from(b).toString('hex');

// EIP-55 checksummed address of a secp256k1 private key.
function ethAddress(key) {
  const pub = secp256k1.getPublicKey(key, false);
  const addr = hex(keccak_256(pub.slice(1)).slice(-20));
  const h = hex(keccak_256(Buffer.from(addr, 'ascii')));
  return '0x' + [...addr].map((c, i) => (parseInt(h[i], 16) >= 8 ? c.toUpperCase() : c)).join('');
}

function recover(sig, msg) {
  assert.equal(sig.length, 65);
  const s = secp256k1.Signature.fromCompact(sig.slice(0, 64)).addRecoveryBit(sig[64]);
  return s.recoverPublicKey(keccak_256(msg)).toHex(true);
}

async function main() {
  // Against the installed packages (DSK_INSTALLED) the simulator is on the
  // SDK's default socket, /var/run/dstack.sock, and nothing is set.
  assert.ok(process.env.DSTACK_SIMULATOR_ENDPOINT || process.env.DSK_INSTALLED,
            'DSTACK_SIMULATOR_ENDPOINT is not set');
  const client = new DstackClient();

  const k = await client.getKey('/eth/main-wallet');
  assert.equal(hex(k.key), '62c7c9aeca728358c9abd15ac95fdea1bcd7832e5d9d621fbc10a69448ab6c62');
  assert.equal(ethAddress(k.key), '0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0');
  console.log('ok - getKey(/eth/main-wallet): key and address 0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0');

  // The chain, checked with noble (an implementation independent of ours).
  const w = await client.getKey('test/wallet', 'signing');
  assert.equal(hex(w.key), '143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5');
  const pub = hex(secp256k1.getPublicKey(w.key, true));
  const appPub = recover(w.signature_chain[0], Buffer.from('signing:' + pub));
  assert.equal(appPub, '02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c');
  const info = await client.info();
  const kmsMsg = Buffer.concat([Buffer.from('dstack-kms-issued:'), Buffer.from(info.app_id, 'hex'),
                                Buffer.from(appPub, 'hex')]);
  assert.equal(recover(w.signature_chain[1], kmsMsg),
               '0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6');
  console.log('ok - signature chain recovers the app key and the KMS root key');

  assert.equal(info.app_id, '5bb4ff9a3837357f19dc176407a5709c62eb6c56');
  assert.equal(typeof info.tcb_info, 'object');
  console.log('ok - info(): tcb_info parsed by the SDK');

  const ed = await client.getKey('test/wallet', 'signing', 'ed25519');
  assert.equal(hex(ed.key), hex(w.key));
  const v = await client.version();
  assert.match(v.version, /simulator/);
  console.log('ok - ed25519 (after the SDK\'s version() check) gives the same 32 bytes');

  const q = await client.getQuote(Buffer.from('hello'));
  assert.ok(q.quote.startsWith(hex(Buffer.from('DSTACK-SIMULATOR-FAKE-QUOTE'))));
  assert.ok(q.report_data.startsWith(hex(Buffer.from('hello'))));
  assert.equal(q.replayRtmrs()[3], info.tcb_info.rtmr3);
  const a = await client.attest(Buffer.from('hello'));
  assert.ok(a.attestation.length > 0);
  console.log('ok - getQuote(): fake quote, event log replays to tcb_info.rtmr3; attest()');

  // The SDK declares Content-Length in UTF-16 units: a non-ASCII path is
  // cut short, and the server answers 400 (as the real agent does) rather
  // than hang. The SDK then fails on the missing key.
  const t0 = Date.now();
  await assert.rejects(client.getKey('wallet/\u00e9t\u00e9'));
  assert.ok(Date.now() - t0 < 5000);
  console.log('ok - non-ASCII path from the SDK is refused promptly (400), as by the real agent');
}

main().then(() => console.log('1 passed, 0 failed'), (e) => {
  console.error('FAIL:', e);
  process.exit(1);
});
