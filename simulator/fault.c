#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    const char *name;
    dsk_sim_fault_kind kind;
} fault_names[] = {
    {"none", DSK_SIM_FAULT_NONE},           {"close", DSK_SIM_FAULT_CLOSE},
    {"garbage", DSK_SIM_FAULT_GARBAGE},     {"oversized", DSK_SIM_FAULT_OVERSIZED},
    {"http400", DSK_SIM_FAULT_HTTP400},     {"http500", DSK_SIM_FAULT_HTTP500},
    {"short-key", DSK_SIM_FAULT_SHORT_KEY}, {"hang", DSK_SIM_FAULT_HANG},
};

#define FAULT_LIST "none, delay:MS, close, garbage, oversized, http400, http500, short-key, hang"

dsk_status dsk_sim_fault_parse(const char *spec, dsk_sim_fault *out, dsk_error *err)
{
    if (!spec)
        spec = "";
    for (size_t i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++) {
        if (strcmp(spec, fault_names[i].name) == 0) {
            *out = (dsk_sim_fault){.kind = fault_names[i].kind};
            return DSK_OK;
        }
    }
    if (strncmp(spec, "delay:", 6) == 0) {
        const char *num = spec + 6;
        char *end = NULL;
        errno = 0;
        unsigned long ms = (num[0] >= '0' && num[0] <= '9') ? strtoul(num, &end, 10) : 0;
        if (end && *end == '\0' && errno == 0 && ms <= DSK_SIM_FAULT_DELAY_MAX_MS) {
            *out = (dsk_sim_fault){.kind = DSK_SIM_FAULT_DELAY, .ms = (unsigned)ms};
            return DSK_OK;
        }
        return dsk_error_set(err, DSK_E_ARGS,
                             "fault '%.64s': the delay must be a number of milliseconds from 0 to %u",
                             spec, DSK_SIM_FAULT_DELAY_MAX_MS);
    }
    return dsk_error_set(err, DSK_E_ARGS, "unknown fault '%.64s': use one of " FAULT_LIST, spec);
}

void dsk_sim_fault_format(const dsk_sim_fault *f, char *buf, size_t len)
{
    if (f->kind == DSK_SIM_FAULT_DELAY) {
        snprintf(buf, len, "delay:%u", f->ms);
        return;
    }
    for (size_t i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++) {
        if (fault_names[i].kind == f->kind) {
            snprintf(buf, len, "%s", fault_names[i].name);
            return;
        }
    }
    snprintf(buf, len, "?");
}

int dsk_sim_fault_state_init(dsk_sim_fault_state *st, const dsk_sim_fault *initial)
{
    pthread_condattr_t attr;
    memset(st, 0, sizeof *st);
    if (initial)
        st->fault = *initial;
    if (pthread_mutex_init(&st->lock, NULL) != 0)
        return -1;
    if (pthread_condattr_init(&attr) != 0)
        goto fail_mutex;
    /* Delays are measured on the monotonic clock: a clock step must not
     * turn a 100 ms delay into an hour. */
    if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&st->cond, &attr) != 0) {
        pthread_condattr_destroy(&attr);
        goto fail_mutex;
    }
    pthread_condattr_destroy(&attr);
    return 0;
fail_mutex:
    pthread_mutex_destroy(&st->lock);
    return -1;
}

void dsk_sim_fault_state_destroy(dsk_sim_fault_state *st)
{
    pthread_cond_destroy(&st->cond);
    pthread_mutex_destroy(&st->lock);
}

dsk_sim_fault dsk_sim_fault_get(dsk_sim_fault_state *st)
{
    pthread_mutex_lock(&st->lock);
    dsk_sim_fault f = st->fault;
    pthread_mutex_unlock(&st->lock);
    return f;
}

void dsk_sim_fault_set(dsk_sim_fault_state *st, const dsk_sim_fault *f)
{
    pthread_mutex_lock(&st->lock);
    st->fault = *f;
    st->generation++;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
}

void dsk_sim_fault_stop(dsk_sim_fault_state *st)
{
    pthread_mutex_lock(&st->lock);
    st->stopping = true;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
}

bool dsk_sim_fault_sleep(dsk_sim_fault_state *st, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&st->lock);
    int rc = 0;
    while (!st->stopping && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&st->cond, &st->lock, &until);
    bool ok = !st->stopping;
    pthread_mutex_unlock(&st->lock);
    return ok;
}

bool dsk_sim_fault_hang(dsk_sim_fault_state *st)
{
    pthread_mutex_lock(&st->lock);
    unsigned gen = st->generation;
    while (!st->stopping && st->generation == gen && st->fault.kind == DSK_SIM_FAULT_HANG)
        pthread_cond_wait(&st->cond, &st->lock);
    bool ok = !st->stopping;
    pthread_mutex_unlock(&st->lock);
    return ok;
}
