/* policy.c — the partner agent's own answers (policy.h). Pure. */
#include "policy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"
#include "task.h"

void policy_init(policy *p)
{
    memset(p, 0, sizeof *p);
    p->ack_delay_ms = -1;
    p->complete_ms = -1;
}

int policy_parse_seconds(const char *opt, const char *text, int64_t *out_ms, char *err,
                         size_t errlen)
{
    char *end = NULL;
    errno = 0;
    double s = text ? strtod(text, &end) : NAN;
    if (!text || end == text || *end != '\0' || errno == ERANGE || !isfinite(s) || s < 0 ||
        s > POLICY_DELAY_MAX_S) {
        snprintf(err, errlen, "%s: '%s' is not a number of seconds in 0..%g", opt, text ? text : "",
                 POLICY_DELAY_MAX_S);
        return HL_EINVAL;
    }
    *out_ms = (int64_t)llround(s * 1000.0);
    return 0;
}

int policy_parse_kinds(policy *p, const char *csv, char *err, size_t errlen)
{
    p->nkinds = 0;
    const char *s = csv ? csv : "";
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        char kind[POLICY_KIND_MAX + 1];
        if (len == 0 || len > POLICY_KIND_MAX) {
            snprintf(err, errlen, "--decline-kinds: empty or overlong kind in '%s'", csv);
            return HL_EINVAL;
        }
        memcpy(kind, s, len);
        kind[len] = '\0';
        if (!task_kind_known(kind)) {
            snprintf(err, errlen,
                     "--decline-kinds: unknown kind '%s' (intercept, protect_receptor, "
                     "warn_owner, sample, notify_counterpart, reserve_materials)",
                     kind);
            return HL_EINVAL;
        }
        if (p->nkinds == POLICY_KINDS_MAX) {
            snprintf(err, errlen, "--decline-kinds: more than %d kinds", POLICY_KINDS_MAX);
            return HL_ETOOBIG;
        }
        memcpy(p->kinds[p->nkinds++], kind, len + 1);
        s += len;
        if (*s == ',')
            s++;
    }
    return 0;
}

int policy_check(const policy *p, char *err, size_t errlen)
{
    if (p->nkinds > 0 && p->reason[0] == '\0') {
        snprintf(err, errlen, "--decline-kinds needs --reason TEXT: a decline says why");
        return HL_EINVAL;
    }
    return 0;
}

static int policy__declines(const policy *p, const char *kind)
{
    for (size_t i = 0; kind && i < p->nkinds; i++)
        if (strcmp(p->kinds[i], kind) == 0)
            return 1;
    return 0;
}

int policy_first_answer(const policy *p, const char *kind, int64_t received_ms, policy_answer *out)
{
    memset(out, 0, sizeof *out);
    int64_t delay = p->ack_delay_ms >= 0 ? p->ack_delay_ms : 0;
    if (policy__declines(p, kind)) {
        snprintf(out->action, sizeof out->action, "decline");
        out->reason = p->reason;
        out->due_ms = received_ms + delay;
        return 1;
    }
    if (p->ack_delay_ms < 0)
        return 0;
    snprintf(out->action, sizeof out->action, "ack");
    out->due_ms = received_ms + delay;
    return 1;
}

int policy_after_ack(const policy *p, int64_t confirmed_ms, policy_answer *out)
{
    memset(out, 0, sizeof *out);
    if (p->complete_ms < 0)
        return 0;
    snprintf(out->action, sizeof out->action, "complete");
    out->due_ms = confirmed_ms + p->complete_ms;
    return 1;
}

int policy_next(const policy_owed *owed, size_t n, int64_t now_ms)
{
    for (size_t i = 0; i < n; i++) {
        if (owed[i].confirmed || owed[i].refused)
            continue;
        return owed[i].due_ms <= now_ms ? (int)i : -1;
    }
    return -1;
}

int64_t policy_next_due(const policy_owed *owed, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!owed[i].confirmed && !owed[i].refused)
            return owed[i].due_ms;
    return INT64_MAX;
}
