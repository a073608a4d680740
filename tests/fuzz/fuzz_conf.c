/* conf/: dsk_conf_parse on arbitrary text. Certificate files named in the
 * text are never opened for real: the link wraps open()/open64() (see
 * meson.build) so that only three fixed in-memory files exist, and a fuzzed
 * "certificate = /dev/stdin" or a FIFO cannot block the run. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

#define FUZZ_CONF_NAME "/nonexistent-dsk-fuzz/fuzz.conf"

int __wrap_open(const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...);

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A read-only in-memory file with these bytes, or -1 with errno set. */
static int fake_file(const char *path)
{
    static const char pem[] = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
    static const char der[] = "\x30\x03\x02\x01\x00";
    static const char other[] = "neither PEM nor DER\n";
    const char *text;
    size_t len;
    int fd;

    if (ends_with(path, "fuzz-cert.pem")) {
        text = pem;
        len = sizeof pem - 1;
    } else if (ends_with(path, "fuzz-cert.der")) {
        text = der;
        len = sizeof der - 1;
    } else if (ends_with(path, "fuzz-cert.txt")) {
        text = other;
        len = sizeof other - 1;
    } else {
        errno = ENOENT;
        return -1;
    }
    if ((fd = memfd_create("fuzz-cert", MFD_CLOEXEC)) < 0)
        return -1;
    if (write(fd, text, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        errno = EIO;
        return -1;
    }
    return fd;
}

int __wrap_open(const char *path, int flags, ...)
{
    return fake_file(path);
}

int __wrap_open64(const char *path, int flags, ...)
{
    return fake_file(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = dsk_fuzz_cstr(data, size);
    dsk_conf *conf = (dsk_conf *)1;
    dsk_error err = {0};
    dsk_status st;

    if (text == NULL)
        return 0;
    st = dsk_conf_parse(text, FUZZ_CONF_NAME, &conf, &err);
    if (st != DSK_OK) {
        /* conf.h: on error *out is NULL and the message names file:line. */
        DSK_FUZZ_ASSERT(conf == NULL);
        DSK_FUZZ_ASSERT(err.code == st);
        DSK_FUZZ_ASSERT(strncmp(err.msg, FUZZ_CONF_NAME ":", strlen(FUZZ_CONF_NAME) + 1) == 0
                        || st == DSK_E_NOMEM);
        goto done;
    }
    DSK_FUZZ_ASSERT(conf != NULL && conf->token_label != NULL);
    DSK_FUZZ_ASSERT(strlen(conf->token_label) <= DSK_CONF_TOKEN_LABEL_MAX);
    DSK_FUZZ_ASSERT(conf->nkeys == 0 || conf->keys != NULL);
    for (size_t i = 0; i < conf->nkeys; i++) {
        const dsk_key_entry *k = &conf->keys[i];
        char token[DSK_CONF_TOKEN_LABEL_MAX + 1];
        DSK_FUZZ_ASSERT(k->label != NULL && k->path != NULL && k->purpose != NULL);
        DSK_FUZZ_ASSERT(dsk_conf_find(conf, k->label) == k); /* labels are unique */
        DSK_FUZZ_ASSERT(dsk_key_type_name(k->type) != NULL);
        DSK_FUZZ_ASSERT(k->usage != 0 && (k->usage & ~dsk_key_type_usages(k->type)) == 0);
        DSK_FUZZ_ASSERT(k->id_len <= DSK_CONF_MAX_ID);
        DSK_FUZZ_ASSERT((k->cert == NULL) == (k->cert_file == NULL));
        DSK_FUZZ_ASSERT(strlen(dsk_conf_key_token(conf, k, token)) <= DSK_CONF_TOKEN_LABEL_MAX);
    }
    dsk_conf_free(conf);
done:
    free(text);
    return 0;
}
