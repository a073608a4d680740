/* Shared by the trust/ unit tests: cmocka, hex helpers and the reference
 * vectors of the official simulator's app key (../shared/docs/dstack-protocol.md). */
#ifndef DSK_TRUSTTEST_H
#define DSK_TRUSTTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hex.h"
#include "trust.h"

/* The official simulator: app id, app key (public), KMS root, and the
 * test/wallet key's public key and link 0 for purpose "signing". */
#define TT_APP_ID "5bb4ff9a3837357f19dc176407a5709c62eb6c56"
#define TT_APP_KEY "d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d"
#define TT_APP_PUB "02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c"
#define TT_LINK1                                                                                   \
    "9e618603e72d01fedb82deff6daf2d62a572becf0059eec3f89c1ab40e1f2e594d2a283f843f34e8f39e4cc49a61" \
    "2496ce67223a12ac923f8efe330346dfc6c500"
#define TT_ROOT "0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6"
#define TT_WALLET_PUB "032eb32fe300c29e10f805c8bd345e5601b1c6d0e10d645d49f9d6aae8bb0664f7"
#define TT_WALLET_LINK0                                                                            \
    "14810d87a8c05608f8422631f482923f95e3ae2aed40ef628839f6bfe9c1715c33798d20477d877040fe6d7d9ea7" \
    "aa39b853a7a3e56c2c0e36bba3e8e12a65b000"
/* Another root (a valid point that is not the development KMS). */
#define TT_OTHER_ROOT "02db8af749ee56bf043b058418e04e1173217534d25117eb16cf0ff329b5869d25"

static inline void tt_hex(const char *hex, unsigned char *out, size_t len)
{
    assert_int_equal(dsk_hex_decode(hex, strlen(hex), out, len), (long)len);
}

static inline void tt_assert_hex(const unsigned char *bytes, size_t len, const char *want)
{
    char got[2 * 128 + 1];
    assert_true(len <= 128);
    dsk_hex_encode(bytes, len, got);
    assert_string_equal(got, want);
}

#endif
