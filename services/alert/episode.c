/* episode.c — see episode.h for the rules. */
#include "episode.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hazlink/hl_error.h"

int episode_find(const episode_set *set, const char *incident_id)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->ep[i].incident_id, incident_id) == 0)
            return (int)i;
    return -1;
}

static void episode__end(episode *e, int64_t quiet_ms, episode_outcome *out)
{
    e->ended = 1;
    e->end_ms = e->clean_since_ms + quiet_ms;
    out->ended = 1;
    snprintf(out->ended_incident_id, sizeof out->ended_incident_id, "%s", e->incident_id);
}

static void episode__clean(episode_set *set, const episode_reading *rd, int64_t quiet_ms,
                           episode_outcome *out)
{
    if (set->n == 0)
        return;
    episode *e = &set->ep[set->n - 1];
    if (e->ended || rd->ms <= e->last_ms)
        return;
    if (!e->has_clean) {
        e->has_clean = 1;
        e->clean_since_ms = e->clean_latest_ms = rd->ms;
    } else {
        if (rd->ms < e->clean_since_ms)
            e->clean_since_ms = rd->ms;
        if (rd->ms > e->clean_latest_ms)
            e->clean_latest_ms = rd->ms;
    }
    if (e->clean_latest_ms - e->clean_since_ms >= quiet_ms)
        episode__end(e, quiet_ms, out);
}

static void episode__attach(episode *e, const episode_reading *rd, episode_outcome *out)
{
    e->count++;
    if (rd->ms < e->first_ms)
        e->first_ms = rd->ms;
    if (rd->ms > e->last_ms) {
        e->last_ms = rd->ms;
        /* The quiet period counts from the first within-limit reading after the last
         * exceedance. If every clean reading seen is older, there is none; otherwise the
         * earliest one after rd->ms is not known any more, and the latest is a safe
         * (later) start. */
        if (e->has_clean && e->clean_since_ms <= rd->ms) {
            if (e->clean_latest_ms > rd->ms)
                e->clean_since_ms = e->clean_latest_ms;
            else
                e->has_clean = 0;
        }
    }
    if (rd->multiple > e->peak_multiple) {
        e->peak_multiple = rd->multiple;
        e->peak_value = rd->value;
        e->peak_ms = rd->ms;
        e->descent_ms = 0; /* a new peak: its descent is still to come */
        out->peak_changed = 1;
    }
}

int episode_apply(episode_set *set, const episode_reading *rd, int64_t quiet_ms,
                  const char *new_incident_id, episode_outcome *out)
{
    memset(out, 0, sizeof *out);
    /* Bounded times and quiet period keep every sum and difference below from overflowing. */
    if (quiet_ms < 1 || quiet_ms > EPISODE_QUIET_MAX_MS || rd->ms < 0 || rd->ms > EPISODE_MS_MAX ||
        !isfinite(rd->multiple) || rd->multiple < 0 || (rd->exceeded && !isfinite(rd->value)))
        return HL_EINVAL;
    if (rd->exceeded) {
        size_t len = new_incident_id ? strlen(new_incident_id) : 0;
        if (len == 0 || len > EPISODE_ID_MAX)
            return HL_EINVAL;
    }
    if (!rd->exceeded) {
        out->action = EPISODE_NOOP;
        episode__clean(set, rd, quiet_ms, out);
        return 0;
    }
    /* Rule 3: the quiet period passed before this exceeding reading. */
    if (set->n) {
        episode *e = &set->ep[set->n - 1];
        if (!e->ended && e->has_clean && rd->ms >= e->clean_since_ms + quiet_ms)
            episode__end(e, quiet_ms, out);
    }
    /* The newest episode whose window [first - quiet, end) holds the reading. */
    for (size_t k = set->n; k-- > 0;) {
        episode *e = &set->ep[k];
        if (rd->ms >= e->first_ms - quiet_ms && (!e->ended || rd->ms < e->end_ms)) {
            episode__attach(e, rd, out);
            out->action = EPISODE_ATTACHED;
            out->index = k;
            return 0;
        }
    }
    /* A new episode, placed in first_ms order. */
    if (set->n == EPISODE_KEEP) {
        snprintf(out->dropped_incident_id, sizeof out->dropped_incident_id, "%s",
                 set->ep[0].incident_id);
        memmove(&set->ep[0], &set->ep[1], (EPISODE_KEEP - 1) * sizeof set->ep[0]);
        set->n--;
    }
    size_t pos = set->n;
    while (pos > 0 && set->ep[pos - 1].first_ms > rd->ms)
        pos--;
    memmove(&set->ep[pos + 1], &set->ep[pos], (set->n - pos) * sizeof set->ep[0]);
    set->n++;
    episode *e = &set->ep[pos];
    memset(e, 0, sizeof *e);
    snprintf(e->incident_id, sizeof e->incident_id, "%s", new_incident_id);
    e->first_ms = e->last_ms = e->peak_ms = rd->ms;
    e->peak_value = rd->value;
    e->peak_multiple = rd->multiple;
    e->count = 1;
    if (pos + 1 < set->n) {
        /* Older than an episode already seen: it happened in the past and is over. */
        e->ended = 1;
        e->end_ms = rd->ms + quiet_ms;
    }
    out->action = EPISODE_OPENED;
    out->index = pos;
    out->peak_changed = 1;
    return 0;
}

int episode_descent(episode *e, int64_t ms, double multiple)
{
    if (e->descent_ms || ms <= e->peak_ms || !(multiple < e->peak_multiple))
        return 0;
    e->descent_ms = ms;
    return 1;
}
