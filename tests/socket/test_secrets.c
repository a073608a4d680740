/* No copy of a key's hex survives in freed heap memory: not in our reply
 * buffers, not in cJSON's nodes, not in the transport's receive buffers.
 *
 * This binary replaces free() for the whole process (cJSON
 * included) with one that scans each block before releasing it.  It cannot
 * run under ASan or valgrind, which own the allocator; meson builds it only
 * without sanitizers and keeps it out of the "unit" suite that the valgrind
 * phase runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakesrv.h"
#include "simclient.h"

#define NEEDLE "1b39c908d98bdecf11e748f79034e09a" /* the middle of VEC_KEY */

extern void __libc_free(void *p);

static atomic_int scanning, hits, scanned;

/* Default visibility and export_dynamic (meson.build): cJSON
 * must bind to this free, not only our own objects. */
__attribute__((visibility("default"))) void free(void *p)
{
    if (p && atomic_load(&scanning)) {
        size_t n = malloc_usable_size(p);
        atomic_fetch_add(&scanned, 1);
        if (memmem(p, n, NEEDLE, sizeof NEEDLE - 1))
            atomic_fetch_add(&hits, 1);
    }
    __libc_free(p);
}

static void scan_begin(void)
{
    atomic_store(&hits, 0);
    atomic_store(&scanned, 0);
    atomic_store(&scanning, 1);
}

static int scan_end(void)
{
    atomic_store(&scanning, 0);
    return atomic_load(&hits);
}

/* Prove the detector works before trusting a zero from it. */
static void test_detector(void **state)
{
    (void)state;
    /* Through volatile pointers, or the compiler drops the pair. */
    void *(*volatile alloc)(size_t) = malloc;
    void (*volatile release)(void *) = free;
    scan_begin();
    char *p = alloc(100);
    memcpy(p, "xx" NEEDLE "yy", sizeof NEEDLE + 4);
    release(p);
    /* And one freed inside a shared library (cJSON's node strings). */
    cJSON *j = cJSON_CreateString("xx" NEEDLE "yy");
    cJSON_Delete(j);
    assert_int_equal(scan_end(), 2);
}

static int sim_setup(void **state)
{
    static dsk_test_sim sim;
    if (dsk_test_sim_start(&sim, NULL) != 0 || sim_wait_ready(&sim) != 0)
        return -1;
    *state = &sim;
    return 0;
}

static int sim_teardown(void **state)
{
    return dsk_test_sim_stop(*state) == 0 ? 0 : -1;
}

static void test_get_key_leaves_nothing(void **state)
{
    dsk_test_sim *sim = *state;
    dsk_client *c = NULL;
    dsk_key_reply r;
    dsk_error e;
    dsk_client_opts o = {.endpoint = sim->sock,
                         .connect_timeout_ms = RELAXED_CONNECT_MS,
                         .timeout_ms = RELAXED_TIMEOUT_MS};
    assert_int_equal(dsk_client_new(&o, &c, NULL), DSK_OK);
    assert_int_equal(dsk_client_get_key(c, "warm/up", "", "", &r, &e), DSK_OK);
    scan_begin();
    for (int i = 0; i < 5; i++) {
        if (dsk_client_get_key(c, "test/wallet", "signing", "secp256k1", &r, &e) != DSK_OK)
            fail_msg("%s", e.msg);
        dsk_key_reply_clear(&r);
    }
    int n = scan_end();
    print_message("%d blocks freed during 5 GetKey calls\n", atomic_load(&scanned));
    assert_true(atomic_load(&scanned) > 10);
    assert_int_equal(n, 0);
    dsk_client_free(c);
}

/* Replies refused after the key was read: by the JSON check, by the
 * validator after cJSON parsed them, by the size cap mid-body. */
static void test_refused_replies_leave_nothing(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"key\":\"" VEC_KEY "\",\"x\":}",                          /* not JSON */
        "{\"key\":\"" VEC_KEY "\",\"signature_chain\":[]}",          /* wrong chain */
        "{\"key\":\"" VEC_KEY "\",\"signature_chain\":[\"\",\"\"]}", /* empty chain[0] */
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        for (int cap = 0; cap < 2; cap++) {
            char reply[512];
            snprintf(reply, sizeof reply, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
                     strlen(bodies[i]), bodies[i]);
            dsk_fake_srv srv;
            dsk_client *c = NULL;
            dsk_key_reply r;
            dsk_error e;
            assert_int_equal(dsk_fake_start(&srv, reply, -1, 0), 0);
            dsk_client_opts o = {.endpoint = srv.sock,
                                 .connect_timeout_ms = RELAXED_CONNECT_MS,
                                 .timeout_ms = RELAXED_TIMEOUT_MS,
                                 .max_reply = cap ? 60 : 0};
            assert_int_equal(dsk_client_new(&o, &c, NULL), DSK_OK);
            scan_begin();
            assert_int_equal(dsk_client_get_key(c, "p", "", "", &r, &e), DSK_E_MALFORMED);
            int n = scan_end();
            if (n)
                fail_msg("reply %zu (cap %d): %d freed blocks held the key (%s)", i, cap, n, e.msg);
            dsk_client_free(c);
            dsk_fake_stop(&srv);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detector),
        cmocka_unit_test_setup_teardown(test_get_key_leaves_nothing, sim_setup, sim_teardown),
        cmocka_unit_test(test_refused_replies_leave_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
