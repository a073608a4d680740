/* Reading whole files: the configuration itself and certificates. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wipe.h"

dsk_status dsk_conf_read_file(const char *path, size_t max, char **out, size_t *len, int *errnum)
{
    dsk_status st = DSK_E_IO;
    char *buf = NULL;
    size_t used = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *errnum = errno;
        goto done;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        *errnum = errno;
        goto done;
    }
    if (S_ISDIR(sb.st_mode)) {
        *errnum = EISDIR;
        goto done;
    }
    /* Read to EOF rather than trusting st_size: /proc files and pipes
     * report 0. One byte more than max tells "too large" from "exactly max". */
    size_t cap = 4096;
    buf = malloc(cap + 1);
    if (!buf) {
        *errnum = ENOMEM;
        goto done;
    }
    for (;;) {
        if (used == cap) {
            if (cap > max) {
                *errnum = EFBIG;
                goto done;
            }
            size_t ncap = cap * 2;
            char *nbuf = malloc(ncap + 1);
            if (!nbuf) {
                *errnum = ENOMEM;
                goto done;
            }
            /* Copy then wipe: the file may hold the user PIN. */
            memcpy(nbuf, buf, used);
            dsk_wipe_free(buf, cap + 1);
            buf = nbuf;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + used, cap - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *errnum = errno;
            goto done;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    if (used > max) {
        *errnum = EFBIG;
        goto done;
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    buf = NULL;
    st = DSK_OK;
done:
    if (buf)
        dsk_wipe_free(buf, cap + 1);
    if (fd >= 0)
        close(fd);
    return st;
}

const char *dsk_conf_strerror(int errnum, char *buf, size_t len)
{
    /* The GNU strerror_r (we build with _GNU_SOURCE) returns the text. */
    return strerror_r(errnum, buf, len);
}

char *dsk_conf_resolve(const char *dir, const char *path)
{
    if (path[0] == '/' || !dir)
        return strdup(path);
    size_t dl = strlen(dir), pl = strlen(path);
    int slash = dl > 0 && dir[dl - 1] != '/';
    char *s = malloc(dl + (size_t)slash + pl + 1);
    if (!s)
        return NULL;
    memcpy(s, dir, dl);
    if (slash)
        s[dl] = '/';
    memcpy(s + dl + (size_t)slash, path, pl + 1);
    return s;
}

dsk_status dsk_conf_dirname(const char *file, char **out)
{
    *out = NULL;
    const char *slash = file ? strrchr(file, '/') : NULL;
    if (!slash)
        return DSK_OK;
    size_t n = slash == file ? 1 : (size_t)(slash - file);
    *out = strndup(file, n);
    return *out ? DSK_OK : DSK_E_NOMEM;
}

static const char pem_marker[] = "-----BEGIN CERTIFICATE-----";

static int looks_like_cert(const unsigned char *d, size_t len)
{
    if (len > 0 && d[0] == 0x30)
        return 1;
    return memmem(d, len, pem_marker, sizeof pem_marker - 1) != NULL;
}

dsk_status dsk_conf_load_cert(const char *dir, const char *value, dsk_key_entry *e, dsk_error *err)
{
    char *path = dsk_conf_resolve(dir, value);
    char *data = NULL;
    size_t len = 0;
    int errnum = 0;
    char ebuf[128];
    dsk_status st;
    if (!path)
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory");
    st = dsk_conf_read_file(path, DSK_CONF_MAX_FILE, &data, &len, &errnum);
    if (st != DSK_OK) {
        if (errnum == ENOMEM)
            st = dsk_error_set(err, DSK_E_NOMEM, "out of memory reading certificate %s", path);
        else if (errnum == EFBIG)
            st = dsk_error_set(err, DSK_E_CONFIG,
                               "certificate %s is larger than %d bytes: is it a certificate?", path,
                               DSK_CONF_MAX_FILE);
        else
            st = dsk_error_set(err, DSK_E_IO, "cannot read certificate %s: %s", path,
                               dsk_conf_strerror(errnum, ebuf, sizeof ebuf));
        goto done;
    }
    if (!looks_like_cert((const unsigned char *)data, len)) {
        st = dsk_error_set(err, DSK_E_CONFIG,
                           "certificate %s is neither PEM (no '%s' line) nor DER (does not "
                           "start with byte 0x30)",
                           path, pem_marker);
        goto done;
    }
    e->cert_file = path;
    e->cert = (unsigned char *)data;
    e->cert_len = len;
    path = NULL;
    data = NULL;
done:
    free(path);
    free(data);
    return st;
}
