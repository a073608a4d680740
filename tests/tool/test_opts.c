/* tool/opts.c: option tables, parsing and --help. */
#include "tooltest.h"

static int run_nothing(dsk_tool_ctx *ctx, const dsk_tool_args *a)
{
    return 0;
}

static const dsk_tool_opt opts[] = {
    {"format", 'f', "FORMAT", 0, "the format"},
    {"san", 0, "NAME", 1, "a name"},
    {"check", 'c', NULL, 0, "a flag"},
    {0},
};

static const dsk_tool_cmd cmd = {
    .name = "demo",
    .synopsis = "demo [--format F] KEY",
    .summary = "s",
    .description = "Does nothing.",
    .opts = opts,
    .min_args = 1,
    .max_args = 2,
    .run = run_nothing,
};

static dsk_status parse(dsk_tool_args *a, dsk_error *e, int argc, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    return dsk_tool_parse(&cmd, argc, argv, a, e);
}

static void test_forms(void **state)
{
    dsk_tool_args a;
    dsk_error e = {0};
    size_t n;
    const char *const *v;

    assert_int_equal(parse(&a, &e, 8, "--format", "der", "KEY", "--san=DNS:a", "--san", "-b", "-c",
                           "--conf=/x.conf"),
                     DSK_OK);
    assert_string_equal(dsk_tool_opt_value(&a, "format"), "der");
    assert_string_equal(dsk_tool_opt_value(&a, "conf"), "/x.conf");
    assert_int_equal(dsk_tool_opt_count(&a, "check"), 1);
    assert_int_equal(dsk_tool_opt_count(&a, "help"), 0);
    v = dsk_tool_opt_values(&a, "san", &n);
    assert_int_equal(n, 2);
    assert_string_equal(v[0], "DNS:a");
    assert_string_equal(v[1], "-b"); /* a value may start with '-' */
    assert_int_equal(a.npos, 1);
    assert_string_equal(a.pos[0], "KEY");
    assert_null(dsk_tool_opt_value(&a, "nonexistent"));

    /* short form, "-" as an argument, "--" ends options */
    assert_int_equal(parse(&a, &e, 5, "-f", "pem", "-", "--", "--format"), DSK_OK);
    assert_string_equal(dsk_tool_opt_value(&a, "format"), "pem");
    assert_int_equal(a.npos, 2);
    assert_string_equal(a.pos[0], "-");
    assert_string_equal(a.pos[1], "--format");

    /* --help without the required argument is fine */
    assert_int_equal(parse(&a, &e, 1, "-h"), DSK_OK);
    assert_int_equal(dsk_tool_opt_count(&a, "help"), 1);
}

static void test_errors(void **state)
{
    static const struct {
        int argc;
        const char *argv[4];
        const char *msg;
    } bad[] = {
        {2, {"--fromat", "x"}, "unknown option '--fromat'"},
        {2, {"--fromat=x", "K"}, "unknown option '--fromat'"},
        {2, {"-x", "K"}, "unknown option '-x'"},
        {2, {"K", "--format"}, "--format needs a value FORMAT"},
        {2, {"--check=1", "K"}, "--check takes no value"},
        {4, {"-f", "a", "-f", "b"}, "--format given twice"},
        {3, {"A", "B", "C"}, "unexpected argument 'C' (takes at most 2)"},
        {1, {"-c"}, "missing argument (usage: dstack-key demo [--format F] KEY)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dsk_tool_args a;
        dsk_error e = {0};
        assert_int_equal(dsk_tool_parse(&cmd, bad[i].argc, (char *const *)bad[i].argv, &a, &e),
                         DSK_E_ARGS);
        assert_msg_has(&e, bad[i].msg);
        assert_non_null(strstr(e.msg, "demo"));
        assert_null(strchr(e.msg, '\n'));
    }
}

static void test_help(void **state)
{
    char *h = dsk_tool_help(&cmd);
    assert_non_null(h);
    assert_int_equal(strncmp(h, "usage: dstack-key demo [--format F] KEY\n\nDoes nothing.\n", 54),
                     0);
    assert_non_null(strstr(h, "  -f, --format FORMAT  the format\n"));
    assert_non_null(strstr(h, "      --san NAME       a name\n"));
    assert_non_null(strstr(h, "  -h, --help           show this help"));
    assert_non_null(strstr(h, "      --conf FILE      configuration file"));
    assert_non_null(strstr(h, "Exit status:"));
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
