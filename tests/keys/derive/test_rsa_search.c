/* The RSA prime search step by step (issue 13, item 13): for every vector
 * of tests/vectors/rsa-search-v1.json (written by the independent
 * tests/vectors/derive_ref.py), the C search must draw, reject (by each
 * rule), test and redraw exactly as many times, and find the same p, q and
 * d. The file holds paths chosen so that each rule of the search changes
 * the key: an implementation that skips one, or runs 4 Miller-Rabin rounds,
 * fails here even where the n of derivation-v1.json would not tell. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/provider.h>

#include "derive_internal.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *s;

    if (f == NULL)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static long count(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v))
        fail_msg("vector lacks the count %s", name);
    return (long)v->valuedouble;
}

static void check_trace(const char *where, const cJSON *want, const dsk_prime_trace *got)
{
    const struct {
        const char *name;
        long value;
    } fields[] = {
        {"candidates", got->candidates},
        {"rejected_trial_division", got->rejected_trial_division},
        {"rejected_e_rule", got->rejected_e_rule},
        {"rejected_distance", got->rejected_distance},
        {"rejected_miller_rabin", got->rejected_miller_rabin},
        {"mr_tested", got->mr_tested},
        {"base_draws", got->base_draws},
        {"base_redraws", got->base_redraws},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (count(want, fields[i].name) != fields[i].value)
            fail_msg("%s: %s is %ld, the vector says %ld", where, fields[i].name,
                     fields[i].value, count(want, fields[i].name));
}

static void check_bn(const char *where, EVP_PKEY *key, const char *param, const char *hex)
{
    BIGNUM *got = NULL, *want = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(key, param, &got), 1);
    assert_true(BN_hex2bn(&want, hex) > 0);
    if (BN_cmp(got, want) != 0)
        fail_msg("%s: %s differs from the vector", where, param);
    BN_free(got);
    BN_free(want);
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v))
        fail_msg("vector lacks %s", name);
    return v->valuestring;
}

static void test_search_vectors(void **state)
{
    const char *file = getenv("DSK_RSA_SEARCH");
    OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();
    OSSL_PROVIDER *prov = OSSL_PROVIDER_load(libctx, "default");
    char *text;
    cJSON *root, *v;
    int n = 0;

    (void)state;
    assert_non_null(file);
    text = slurp(file);
    root = cJSON_Parse(text);
    assert_non_null(root);
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "vectors"))
    {
        unsigned char m[32];
        dsk_key_type t;
        dsk_prime_trace tr[2];
        EVP_PKEY *key = NULL;
        char where[160];
        const char *mhex = str(v, "material");

        snprintf(where, sizeof where, "%s %s", str(v, "type"), str(v, "path"));
        assert_int_equal(dsk_key_type_parse(str(v, "type"), &t, NULL), DSK_OK);
        for (int i = 0; i < 32; i++)
            assert_int_equal(sscanf(mhex + 2 * i, "%2hhx", &m[i]), 1);
        if (dsk_derive_rsa_traced(libctx, t, m, &key, tr, NULL) != DSK_OK)
            fail_msg("%s: derivation failed", where);
        check_trace(where, cJSON_GetObjectItemCaseSensitive(v, "first_prime_search"), &tr[0]);
        check_trace(where, cJSON_GetObjectItemCaseSensitive(v, "second_prime_search"), &tr[1]);
        check_bn(where, key, OSSL_PKEY_PARAM_RSA_FACTOR1, str(v, "p"));
        check_bn(where, key, OSSL_PKEY_PARAM_RSA_FACTOR2, str(v, "q"));
        check_bn(where, key, OSSL_PKEY_PARAM_RSA_D, str(v, "d"));
        check_bn(where, key, OSSL_PKEY_PARAM_RSA_N, str(v, "n"));
        EVP_PKEY_free(key);
        n++;
    }
    /* the file pins at least the paths it promises */
    assert_true(n >= 4);
    cJSON_Delete(root);
    free(text);
    OSSL_PROVIDER_unload(prov);
    OSSL_LIB_CTX_free(libctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
