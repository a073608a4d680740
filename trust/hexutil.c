/* Parsing the values a user pins: KMS roots and app ids, as hex. */
#include "internal.h"

#include "lazy_secp.h"
#include <string.h>

#include "hex.h"

dsk_status dsk_trust_parse_root(const char *hex, unsigned char out[DSK_SECP256K1_PUB_LEN],
                                dsk_error *err)
{
    secp256k1_pubkey pub;
    size_t len = hex ? strlen(hex) : 0;

    if (len >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
        len -= 2;
    if (!hex || len != 2 * DSK_SECP256K1_PUB_LEN ||
        dsk_hex_decode(hex, strlen(hex), out, DSK_SECP256K1_PUB_LEN) != DSK_SECP256K1_PUB_LEN)
        return dsk_error_set(err, DSK_E_CONFIG,
                             "KMS root '%.80s' is not 66 hex digits (a SEC1-compressed "
                             "secp256k1 key, 02... or 03...)",
                             hex ? hex : "");
    if ((out[0] != 2 && out[0] != 3) ||
        !secp256k1_ec_pubkey_parse(secp256k1_context_static, &pub, out, DSK_SECP256K1_PUB_LEN))
        return dsk_error_set(err, DSK_E_CONFIG,
                             "KMS root '%.80s' is not a SEC1-compressed secp256k1 public key "
                             "(02... or 03..., a point on the curve)",
                             hex);
    return DSK_OK;
}

dsk_status dsk_trust_parse_app_id(const char *hex, unsigned char out[DSK_APP_ID_LEN],
                                  dsk_error *err)
{
    size_t len = hex ? strlen(hex) : 0;

    if (len >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
        len -= 2;
    if (!hex || len != 2 * DSK_APP_ID_LEN ||
        dsk_hex_decode(hex, strlen(hex), out, DSK_APP_ID_LEN) != DSK_APP_ID_LEN)
        return dsk_error_set(err, DSK_E_CONFIG, "app id '%.80s' is not 40 hex digits",
                             hex ? hex : "");
    return DSK_OK;
}
