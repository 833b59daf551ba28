/* escalation.c — escalation chains (escalation.h). Pure: no I/O, no clock. */
#include "escalation.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hazlink/hl_error.h"

static const char *const esc__names[ESC_LEVEL_N] = {"蓝", "黄", "橙", "红"};
static const char *const esc__names_en[ESC_LEVEL_N] = {"blue", "yellow", "orange", "red"};
/* Response levels IV..I in the order of esc_level, ASCII and the Unicode Roman numerals. */
static const char *const esc__response[ESC_LEVEL_N] = {"IV", "III", "II", "I"};
static const char *const esc__response_u[ESC_LEVEL_N] = {"Ⅳ", "Ⅲ", "Ⅱ", "Ⅰ"};
static const char *const esc__status[ESC_STATUS_N] = {"waiting", "acknowledged", "exhausted",
                                                      "withdrawn"};
static const char *const esc__kinds[ESC_KIND_N] = {"repeat", "escalate"};

const char *esc_level_name(esc_level l)
{
    return (unsigned)l < ESC_LEVEL_N ? esc__names[l] : NULL;
}

const char *esc_level_name_en(esc_level l)
{
    return (unsigned)l < ESC_LEVEL_N ? esc__names_en[l] : NULL;
}

int esc_level_parse_scale(const char *s, esc_level *out, int *response)
{
    for (int i = 0; s && s[0] && i < ESC_LEVEL_N; i++) {
        int w = strcmp(s, esc__names[i]) == 0 || strcasecmp(s, esc__names_en[i]) == 0;
        int r = strcasecmp(s, esc__response[i]) == 0 || strcmp(s, esc__response_u[i]) == 0;
        if (w || r) {
            *out = (esc_level)i;
            if (response)
                *response = r;
            return 0;
        }
    }
    return HL_EINVAL;
}

int esc_level_parse(const char *s, esc_level *out)
{
    return esc_level_parse_scale(s, out, NULL);
}

const char *esc_level_label(esc_level l, int response)
{
    if ((unsigned)l >= ESC_LEVEL_N)
        return NULL;
    return response ? esc__response[l] : esc__names[l];
}

const char *esc_level_canon(const char *s)
{
    esc_level l;
    int response = 0;
    return esc_level_parse_scale(s, &l, &response) < 0 ? NULL : esc_level_label(l, response);
}

const char *esc_status_name(esc_status s)
{
    return (unsigned)s < ESC_STATUS_N ? esc__status[s] : NULL;
}

const char *esc_kind_name(esc_kind k)
{
    return (unsigned)k < ESC_KIND_N ? esc__kinds[k] : NULL;
}

int esc_status_parse(const char *s, esc_status *out)
{
    for (int i = 0; s && i < ESC_STATUS_N; i++)
        if (strcmp(s, esc__status[i]) == 0) {
            *out = (esc_status)i;
            return 0;
        }
    return HL_EINVAL;
}

int esc_kind_parse(const char *s, esc_kind *out)
{
    for (int i = 0; s && i < ESC_KIND_N; i++)
        if (strcmp(s, esc__kinds[i]) == 0) {
            *out = (esc_kind)i;
            return 0;
        }
    return HL_EINVAL;
}

int esc_policy_check(const esc_policy *p, char *err, size_t errlen)
{
    if (!p->enabled)
        return 0;
    for (int i = 0; i < ESC_LEVEL_N; i++) {
        if (p->timeout_min[i] < 1 || p->timeout_min[i] > ESC_TIMEOUT_MAX_MIN) {
            snprintf(err, errlen, "timeout for %s is %d min, not 1..%d", esc__names[i],
                     p->timeout_min[i], ESC_TIMEOUT_MAX_MIN);
            return HL_EINVAL;
        }
        if (i > 0 && p->timeout_min[i] > p->timeout_min[i - 1]) {
            snprintf(err, errlen,
                     "timeout for %s (%d min) is longer than for the less severe %s (%d min)",
                     esc__names[i], p->timeout_min[i], esc__names[i - 1], p->timeout_min[i - 1]);
            return HL_EINVAL;
        }
    }
    if (p->repeats > ESC_REPEATS_MAX) {
        snprintf(err, errlen, "repeats is %u, at most %d", p->repeats, ESC_REPEATS_MAX);
        return HL_EINVAL;
    }
    if ((unsigned)p->default_level >= ESC_LEVEL_N) {
        snprintf(err, errlen, "default level out of range");
        return HL_EINVAL;
    }
    return 0;
}

int esc_start(const esc_policy *p, const char *level, const char (*chain)[HL_ID_MAX + 1], size_t n,
              int64_t start_ms, esc_state *out)
{
    memset(out, 0, sizeof *out);
    if (!p->enabled || n == 0 || start_ms < 0)
        return HL_EINVAL;
    if (n > ESC_CHAIN_MAX)
        return HL_ETOOBIG;
    esc_level l = p->default_level;
    if (level && level[0]) {
        if (esc_level_parse_scale(level, &l, &out->response) < 0)
            return HL_EINVAL;
    } else {
        out->level_defaulted = 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (hl_id_check(chain[i]) < 0)
            return HL_EINVAL;
        memcpy(out->chain[i], chain[i], strlen(chain[i]) + 1);
    }
    out->nchain = n;
    out->level = l;
    out->timeout_ms = (int64_t)p->timeout_min[l] * 60000;
    out->repeats = p->repeats;
    out->started_ms = out->since_ms = start_ms;
    out->status = ESC_WAITING;
    /* A chain of one unit with no reminders plans nothing from the start. */
    esc_step none;
    if (!esc_next(out, &none))
        out->status = ESC_EXHAUSTED;
    return 0;
}

int esc_next(const esc_state *s, esc_step *out)
{
    memset(out, 0, sizeof *out);
    if (s->status != ESC_WAITING)
        return 0;
    out->due_ms = s->since_ms + s->timeout_ms;
    if (s->repeats_done < s->repeats) {
        out->kind = ESC_REPEAT;
        out->pos = s->pos;
        out->repeat = s->repeats_done + 1;
        return 1;
    }
    if (s->pos + 1 < s->nchain) {
        out->kind = ESC_ESCALATE;
        out->pos = s->pos + 1;
        return 1;
    }
    return 0;
}

/* Apply a step that is being taken at at_ms. */
static void esc__take(esc_state *s, esc_step *st, int64_t at_ms)
{
    st->at_ms = at_ms;
    if (st->kind == ESC_REPEAT) {
        s->repeats_done++;
    } else {
        s->pos = st->pos;
        s->repeats_done = 0;
    }
    s->since_ms = at_ms;
    esc_step after;
    if (!esc_next(s, &after))
        s->status = ESC_EXHAUSTED;
}

int esc_fire_due(esc_state *s, int64_t now_ms, esc_step *out)
{
    if (!esc_next(s, out) || out->due_ms > now_ms)
        return 0;
    esc__take(s, out, now_ms);
    return 1;
}

int esc_chain_index(const esc_state *s, const char *unit)
{
    for (size_t i = 0; unit && i < s->nchain; i++)
        if (strcmp(s->chain[i], unit) == 0)
            return (int)i;
    return -1;
}

int esc_acknowledge(esc_state *s, const char *unit, int64_t at_ms)
{
    int i = esc_chain_index(s, unit);
    if (s->status == ESC_ACKNOWLEDGED || s->status == ESC_WITHDRAWN || i < 0 ||
        (size_t)i > s->pos)
        return 0;
    s->status = ESC_ACKNOWLEDGED;
    s->ended_ms = at_ms;
    snprintf(s->ended_by, sizeof s->ended_by, "%s", unit);
    return 1;
}

int esc_decline(esc_state *s, const char *unit, int64_t at_ms, esc_step *out)
{
    memset(out, 0, sizeof *out);
    int i = esc_chain_index(s, unit);
    if (s->status == ESC_ACKNOWLEDGED || s->status == ESC_WITHDRAWN || i < 0 ||
        (size_t)i != s->pos)
        return 0;
    if (s->pos + 1 >= s->nchain) {
        /* Each unit of a chain declines at most once (a decline is final for its task, and
         * the units of a chain are distinct), so this is said once. */
        s->status = ESC_EXHAUSTED;
        s->repeats_done = s->repeats;
        return 2;
    }
    /* Exhausted can only mean the end of the chain, so here the chain is waiting. */
    out->kind = ESC_ESCALATE;
    out->pos = s->pos + 1;
    out->due_ms = at_ms;
    out->declined = 1;
    esc__take(s, out, at_ms);
    return 1;
}

int esc_withdraw(esc_state *s, int64_t at_ms)
{
    if (s->status == ESC_ACKNOWLEDGED || s->status == ESC_WITHDRAWN)
        return 0;
    int planned = s->status == ESC_WAITING;
    s->status = ESC_WITHDRAWN;
    s->ended_ms = at_ms;
    return planned;
}

int esc_set_level(esc_state *s, const esc_policy *p, const char *level)
{
    esc_level l;
    int response = 0;
    if (!p->enabled || esc_level_parse_scale(level, &l, &response) < 0)
        return HL_EINVAL;
    s->response = response;
    s->level = l;
    s->level_defaulted = 0;
    s->timeout_ms = (int64_t)p->timeout_min[l] * 60000;
    return 0;
}
