/* Endpoint discovery: configured → DSTACK_SIMULATOR_ENDPOINT → defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

typedef struct tmp {
    char dir[256];
    char paths[4][320];
    const char *list[5];
} tmp;

/* Four candidate paths in a private directory; none exists yet. */
static int setup(void **state)
{
    tmp *t = calloc(1, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/dsk-ep-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    for (int i = 0; i < 4; i++) {
        snprintf(t->paths[i], sizeof t->paths[i], "%s/s%d.sock", t->dir, i);
        t->list[i] = t->paths[i];
    }
    t->list[4] = NULL;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tmp *t = *state;
    for (int i = 0; i < 4; i++)
        unlink(t->paths[i]);
    rmdir(t->dir);
    free(t);
    return 0;
}

static void touch(const char *p)
{
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
}

static void test_configured_wins(void **state)
{
    tmp *t = *state;
    dsk_endpoint ep;
    touch(t->paths[0]);
    assert_int_equal(dsk_endpoint_resolve("/some/agent.sock", "/env.sock", t->list, &ep, NULL),
                     DSK_OK);
    assert_int_equal(ep.kind, DSK_ENDPOINT_UNIX);
    assert_string_equal(ep.where, "/some/agent.sock");
    assert_string_equal(ep.source, "configured");
}

static void test_env_next(void **state)
{
    tmp *t = *state;
    dsk_endpoint ep;
    touch(t->paths[0]);
    assert_int_equal(dsk_endpoint_resolve(NULL, "/env.sock", t->list, &ep, NULL), DSK_OK);
    assert_string_equal(ep.where, "/env.sock");
    assert_string_equal(ep.source, DSK_ENDPOINT_ENV);
    /* An empty configured endpoint counts as unset, like an empty env. */
    assert_int_equal(dsk_endpoint_resolve("", "/env.sock", t->list, &ep, NULL), DSK_OK);
    assert_string_equal(ep.where, "/env.sock");
    assert_int_equal(dsk_endpoint_resolve("", "", t->list, &ep, NULL), DSK_OK);
    assert_string_equal(ep.where, t->paths[0]);
    assert_string_equal(ep.source, "default");
}

static void test_urls(void **state)
{
    (void)state;
    dsk_endpoint ep;
    assert_int_equal(dsk_endpoint_resolve(NULL, "http://127.0.0.1:8090/", NULL, &ep, NULL), DSK_OK);
    assert_int_equal(ep.kind, DSK_ENDPOINT_URL);
    assert_string_equal(ep.where, "http://127.0.0.1:8090");
    assert_int_equal(dsk_endpoint_resolve("HTTPS://agent.local", NULL, NULL, &ep, NULL), DSK_OK);
    assert_int_equal(ep.kind, DSK_ENDPOINT_URL);
    char buf[128], where[160];
    dsk_endpoint_describe(&ep, buf, sizeof buf);
    assert_string_equal(buf, "HTTPS://agent.local");
    dsk_endpoint_where(&ep, "GetKey", where, sizeof where);
    assert_string_equal(where, "/GetKey on HTTPS://agent.local");
    /* Neither scheme: a (relative) socket path. */
    assert_int_equal(dsk_endpoint_resolve(NULL, "httpx.sock", NULL, &ep, NULL), DSK_OK);
    assert_int_equal(ep.kind, DSK_ENDPOINT_UNIX);
    dsk_endpoint_describe(&ep, buf, sizeof buf);
    assert_string_equal(buf, "unix socket httpx.sock");
}

static void test_first_existing_default(void **state)
{
    tmp *t = *state;
    dsk_endpoint ep;
    touch(t->paths[2]);
    touch(t->paths[3]);
    assert_int_equal(dsk_endpoint_resolve(NULL, NULL, t->list, &ep, NULL), DSK_OK);
    assert_string_equal(ep.where, t->paths[2]);
    touch(t->paths[1]);
    assert_int_equal(dsk_endpoint_resolve(NULL, NULL, t->list, &ep, NULL), DSK_OK);
    assert_string_equal(ep.where, t->paths[1]);
}

static void test_none_lists_all(void **state)
{
    tmp *t = *state;
    dsk_endpoint ep;
    dsk_error e;
    assert_int_equal(dsk_endpoint_resolve(NULL, "", t->list, &ep, &e), DSK_E_UNREACHABLE);
    assert_int_equal(e.code, DSK_E_UNREACHABLE);
    for (int i = 0; i < 4; i++)
        assert_non_null(strstr(e.msg, t->paths[i]));
    assert_non_null(strstr(e.msg, "start the dstack agent"));
    assert_non_null(strstr(e.msg, DSK_ENDPOINT_ENV));
    assert_non_null(strstr(e.msg, "`endpoint`"));
    /* A socket that appears later is found on the next resolution. */
    touch(t->paths[3]);
    assert_int_equal(dsk_endpoint_resolve(NULL, "", t->list, &ep, &e), DSK_OK);
    assert_string_equal(ep.where, t->paths[3]);
}

static void test_real_defaults_in_order(void **state)
{
    (void)state;
    const char *want[] = {"/var/run/dstack.sock", "/run/dstack.sock", "/var/run/dstack/dstack.sock",
                          "/run/dstack/dstack.sock", NULL};
    for (int i = 0; i < 5; i++) {
        if (want[i])
            assert_string_equal(dsk_default_sockets[i], want[i]);
        else
            assert_null(dsk_default_sockets[i]);
    }
}

static void test_too_long(void **state)
{
    (void)state;
    char path[200], url[DSK_ENDPOINT_MAX + 20];
    memset(path, 'a', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    dsk_endpoint ep;
    dsk_error e;
    assert_int_equal(dsk_endpoint_resolve(path, NULL, NULL, &ep, &e), DSK_E_CONFIG);
    assert_non_null(strstr(e.msg, "199 bytes"));
    assert_non_null(strstr(e.msg, "configured"));
    path[107] = '\0'; /* the longest a sockaddr_un holds */
    assert_int_equal(dsk_endpoint_resolve(path, NULL, NULL, &ep, &e), DSK_OK);
    snprintf(url, sizeof url, "http://%0*d", DSK_ENDPOINT_MAX, 0);
    assert_int_equal(dsk_endpoint_resolve(NULL, url, NULL, &ep, &e), DSK_E_CONFIG);
    assert_non_null(strstr(e.msg, DSK_ENDPOINT_ENV));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_configured_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_next, setup, teardown),
        cmocka_unit_test(test_urls),
        cmocka_unit_test_setup_teardown(test_first_existing_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_none_lists_all, setup, teardown),
        cmocka_unit_test(test_real_defaults_in_order),
        cmocka_unit_test(test_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
