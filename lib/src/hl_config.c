/* hl_config.c — defaults, then a flat YAML file, then the environment. */
#include "hazlink/hl_config.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/hl_yaml.h"
#include "hl_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HL_DEFAULT_PLAYBOOK_DIR
#define HL_DEFAULT_PLAYBOOK_DIR "playbooks"
#endif

const char *const hl_service_names[5] = {"alert", "playbook", "stock", "risk", "dispatch"};

static void defaults(hl_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data_dir, sizeof c->data_dir, "%s", "./hazlink-data");
    snprintf(c->playbook_dir, sizeof c->playbook_dir, "%s", HL_DEFAULT_PLAYBOOK_DIR);
    snprintf(c->plan, sizeof c->plan, "%s", "kuitun");
    snprintf(c->host, sizeof c->host, "%s", "127.0.0.1");
    c->base_port = 7100;
    c->log_level = HL_LOG_INFO;
    c->max_msg_bytes = HL_MAX_MSG_BYTES;
    c->map_size = (size_t)1 << 30;
    c->request_timeout_ms = 5000;
    c->resend_ms = 1000;
}

/* Season names accepted in files, the environment and on the command line. */
static int season_ok(const char *s)
{
    static const char *const seasons[] = {"", "spring", "summer", "autumn", "winter"};
    for (size_t i = 0; i < sizeof seasons / sizeof *seasons; i++)
        if (strcmp(s, seasons[i]) == 0) return 1;
    return 0;
}

/* Apply the keys of a loaded configuration document to c; frees d. */
static int apply_doc(hl_yaml_doc *d, hl_config *c, char *err, size_t errlen)
{
    static const char *const keys[] = {"data_dir", "playbook_dir", "plan", "host",
                                       "base_port", "clock", "season", "log_level",
                                       "max_msg_bytes", "map_size", "request_timeout_ms",
                                       "resend_ms", "bind_host", "host_alert",
                                       "host_playbook", "host_stock", "host_risk",
                                       "host_dispatch", NULL};
    int rc;
    const hl_yaml_node *m = d->root;
    if (m->kind != HL_YAML_MAP) {
        rc = hl_yaml_errf(d, m, err, errlen, "expected a mapping of configuration keys");
        goto out;
    }
    if ((rc = hl_yaml_only(d, m, keys, err, errlen)) < 0) goto out;
    if ((rc = hl_yaml_str(d, m, "data_dir", 0, c->data_dir, sizeof c->data_dir, err, errlen)) <
            0 ||
        (rc = hl_yaml_str(d, m, "playbook_dir", 0, c->playbook_dir, sizeof c->playbook_dir,
                          err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, m, "plan", 0, c->plan, sizeof c->plan, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, m, "host", 0, c->host, sizeof c->host, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, m, "bind_host", 0, c->bind_host, sizeof c->bind_host, err,
                          errlen)) < 0 ||
        (rc = hl_yaml_str(d, m, "clock", 0, c->clock, sizeof c->clock, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, m, "season", 0, c->season, sizeof c->season, err, errlen)) < 0)
        goto out;
    for (int i = 0; i < 5; i++) {
        char key[32];
        snprintf(key, sizeof key, "host_%s", hl_service_names[i]);
        if ((rc = hl_yaml_str(d, m, key, 0, c->service_host[i], sizeof c->service_host[i], err,
                              errlen)) < 0)
            goto out;
    }
    int64_t v;
    if ((rc = hl_yaml_int(d, m, "base_port", 0, 1024, 65000, &v, err, errlen)) < 0) goto out;
    if (hl_yaml_get(m, "base_port")) c->base_port = (int)v;
    if ((rc = hl_yaml_int(d, m, "max_msg_bytes", 0, 1024, 256 * 1024 * 1024, &v, err,
                          errlen)) < 0)
        goto out;
    if (hl_yaml_get(m, "max_msg_bytes")) c->max_msg_bytes = (size_t)v;
    if ((rc = hl_yaml_int(d, m, "map_size", 0, 1 << 16, INT64_C(1) << 40, &v, err, errlen)) <
        0)
        goto out;
    if (hl_yaml_get(m, "map_size")) c->map_size = (size_t)v;
    if ((rc = hl_yaml_int(d, m, "request_timeout_ms", 0, 1, 3600000, &v, err, errlen)) < 0)
        goto out;
    if (hl_yaml_get(m, "request_timeout_ms")) c->request_timeout_ms = (int)v;
    if ((rc = hl_yaml_int(d, m, "resend_ms", 0, 1, 3600000, &v, err, errlen)) < 0) goto out;
    if (hl_yaml_get(m, "resend_ms")) c->resend_ms = (int)v;
    const hl_yaml_node *n = hl_yaml_get(m, "log_level");
    if (n) {
        int lv = n->kind == HL_YAML_SCALAR ? hl_log_level_parse(n->value) : -1;
        if (lv < 0) {
            rc = hl_yaml_errf(d, n, err, errlen,
                              "log_level: expected debug, info, warn or error");
            goto out;
        }
        c->log_level = lv;
    }
    if ((n = hl_yaml_get(m, "season")) && !season_ok(c->season)) {
        rc = hl_yaml_errf(d, n, err, errlen,
                          "season: '%s' is not spring, summer, autumn or winter", c->season);
        goto out;
    }
    hl_clock ck;
    if ((n = hl_yaml_get(m, "clock")) && hl_clock_parse(c->clock, &ck) < 0) {
        rc = hl_yaml_errf(d, n, err, errlen,
                          "clock: '%s' is not \"scale=S,origin=MS,real=MS\" with S in (0, %g]",
                          c->clock, HL_CLOCK_MAX_SCALE);
        goto out;
    }
    rc = 0;
out:
    hl_yaml_free(&d);
    return rc;
}

static int load_file(const char *path, hl_config *c, char *err, size_t errlen)
{
    hl_yaml_doc *d = NULL;
    int rc = hl_yaml_load(path, &d, err, errlen);
    return rc < 0 ? rc : apply_doc(d, c, err, errlen);
}

int hl_config_load_mem(const char *name, const void *buf, size_t len, hl_config *out,
                       char *err, size_t errlen)
{
    if (!out || (!buf && len)) return HL_EINVAL;
    if (err && errlen) err[0] = '\0';
    hl_config c;
    defaults(&c);
    hl_yaml_doc *d = NULL;
    int rc = hl_yaml_load_mem(name ? name : "config", buf, len, &d, err, errlen);
    if (rc == 0) rc = apply_doc(d, &c, err, errlen);
    if (rc < 0) return rc;
    if (c.data_dir[0] == '\0' || c.host[0] == '\0') {
        hl__errf(err, errlen, "%s: %s: must not be empty", name ? name : "config",
                 c.host[0] ? "data_dir" : "host");
        return HL_EINVAL;
    }
    *out = c;
    return 0;
}

/* Copy an environment string into a fixed field, refusing what does not fit. */
static int env_str(const char *var, char *dst, size_t n, char *err, size_t errlen)
{
    const char *v = getenv(var);
    if (!v) return 0;
    if (strlen(v) >= n) {
        hl__errf(err, errlen, "%s: value longer than %zu bytes", var, n - 1);
        return HL_ETOOBIG;
    }
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

int hl_config_load(const char *path, hl_config *out, char *err, size_t errlen)
{
    if (!out) return HL_EINVAL;
    if (err && errlen) err[0] = '\0';
    hl_config c;
    defaults(&c);
    if (!path) {
        path = getenv("HAZLINK_CONFIG");
        if (path && !path[0]) path = NULL;
    }
    int rc;
    if (path && (rc = load_file(path, &c, err, errlen)) < 0) return rc;
    if ((rc = env_str("HAZLINK_DATA", c.data_dir, sizeof c.data_dir, err, errlen)) < 0 ||
        (rc = env_str("HAZLINK_HOST", c.host, sizeof c.host, err, errlen)) < 0 ||
        (rc = env_str("HAZLINK_PLAYBOOKS", c.playbook_dir, sizeof c.playbook_dir, err,
                      errlen)) < 0 ||
        (rc = env_str("HAZLINK_CLOCK", c.clock, sizeof c.clock, err, errlen)) < 0 ||
        (rc = env_str("HAZLINK_SEASON", c.season, sizeof c.season, err, errlen)) < 0 ||
        (rc = env_str("HAZLINK_BIND", c.bind_host, sizeof c.bind_host, err, errlen)) < 0)
        return rc;
    for (int i = 0; i < 5; i++) {
        static const char *const vars[5] = {"HAZLINK_HOST_ALERT", "HAZLINK_HOST_PLAYBOOK",
                                            "HAZLINK_HOST_STOCK", "HAZLINK_HOST_RISK",
                                            "HAZLINK_HOST_DISPATCH"};
        if ((rc = env_str(vars[i], c.service_host[i], sizeof c.service_host[i], err, errlen)) <
            0)
            return rc;
    }
    const char *bp = getenv("HAZLINK_BASE_PORT");
    if (bp) {
        char *end = NULL;
        errno = 0;
        long v = strtol(bp, &end, 10);
        if (end == bp || *end || errno || v < 1024 || v > 65000) {
            hl__errf(err, errlen, "HAZLINK_BASE_PORT: '%s' is not a port in [1024, 65000]", bp);
            return HL_EINVAL;
        }
        c.base_port = (int)v;
    }
    if (!season_ok(c.season)) {
        hl__errf(err, errlen, "HAZLINK_SEASON: '%s' is not spring, summer, autumn or winter",
                c.season);
        return HL_EINVAL;
    }
    hl_clock ck;
    if (hl_clock_parse(c.clock, &ck) < 0) {
        hl__errf(err, errlen, "HAZLINK_CLOCK: '%s' is not \"scale=S,origin=MS,real=MS\"",
                c.clock);
        return HL_EINVAL;
    }
    if (c.data_dir[0] == '\0' || c.host[0] == '\0') {
        hl__errf(err, errlen, "%s: must not be empty", c.host[0] ? "data_dir" : "host");
        return HL_EINVAL;
    }
    *out = c;
    return 0;
}

/* host is NULL to use the per-service connect host (or the common host). */
static int endpoint(const hl_config *c, const char *service, const char *kind, int bind,
                    char *buf, size_t n)
{
    if (!c || !service || !kind || !buf) return HL_EINVAL;
    int idx = -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(service, hl_service_names[i]) == 0) idx = i;
    int off;
    if (strcmp(kind, "req") == 0)
        off = 0;
    else if (strcmp(kind, "pub") == 0)
        off = 1;
    else if (strcmp(kind, "gw") == 0)
        off = 2;
    else
        return HL_ENOTFOUND;
    if (idx < 0) return HL_ENOTFOUND;
    const char *host = c->host;
    if (bind && c->bind_host[0])
        host = c->bind_host;
    else if (!bind && c->service_host[idx][0])
        host = c->service_host[idx];
    int k = snprintf(buf, n, "tcp://%s:%d", host, c->base_port + 10 * idx + off);
    if (k < 0 || (size_t)k >= n) return HL_ETOOBIG;
    return 0;
}

int hl_config_endpoint(const hl_config *c, const char *service, const char *kind, char *buf,
                       size_t n)
{
    return endpoint(c, service, kind, 0, buf, n);
}

int hl_config_bind_endpoint(const hl_config *c, const char *service, const char *kind,
                            char *buf, size_t n)
{
    return endpoint(c, service, kind, 1, buf, n);
}

int hl_config_path(const hl_config *c, const char *sub, char *buf, size_t n)
{
    if (!c || !sub || !buf) return HL_EINVAL;
    int k = snprintf(buf, n, "%s/%s", c->data_dir, sub);
    if (k < 0 || (size_t)k >= n) return HL_ETOOBIG;
    return 0;
}
