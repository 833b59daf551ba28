/* episode.h — one incident per station-and-parameter exceedance episode.
 *
 * The issue asks for "one incident per station-and-parameter exceedance episode (not one per
 * reading)". GB 3838 says nothing about episodes; these are hazlink rules:
 *
 *  1. The first exceeding reading of a station+parameter opens an episode (an incident).
 *  2. Further exceeding readings of the same station+parameter attach to it; the peak (the
 *     reading with the largest exceedance multiple) is tracked.
 *  3. The episode ends when the parameter has been within the limit for the quiet period
 *     (default EPISODE_QUIET_DEFAULT_MS = 24 h of drill time): counted from the earliest
 *     within-limit reading after the last exceeding one (clean_since), it ends once a later
 *     within-limit reading is at least quiet_ms after clean_since, or once an exceeding
 *     reading comes at or after clean_since + quiet_ms (nothing exceeded in between). Silence
 *     alone never ends an episode: within-limit evidence is needed.
 *  4. An exceeding reading after the end opens a new episode.
 *  5. (Issue 4: re-anchoring the forecast.) The first reading after the episode's peak that
 *     is below it — exceeding or not — is the "descent": it shows the peak was passed, so the
 *     observed peak can stand in for the forecast's (lib/domain forecast.h). episode_descent
 *     says when a reading is that one; it is said once per peak (a new peak starts over).
 *
 * Readings out of time order: times are the readings' measured times, never arrival times.
 * An exceeding reading at t belongs to the newest episode whose window contains t — the
 * window of an episode is [first_ms − quiet_ms, end_ms) (no end while open) — so a late
 * reading joins the episode it happened in. Only an exceeding reading outside every window
 * opens a new episode; one older than the newest episode is kept as an ended episode
 * (end_ms = its last_ms + quiet_ms). A late exceeding reading between the last exceedance
 * and clean_since of the open episode moves last_ms; one after clean_since restarts the
 * quiet period from the latest within-limit reading seen (conservative: the episode lasts
 * longer rather than splitting). A within-limit reading older than last_ms says nothing
 * about the quiet period and is ignored.
 *
 * The newest EPISODE_KEEP episodes of a station+parameter are kept; older ones are dropped
 * (their incidents are stored by the service).
 *
 * Pure: no I/O, no clock; the caller passes times and the id a new incident would get.
 */
#ifndef ALERT_EPISODE_H
#define ALERT_EPISODE_H

#include <stddef.h>
#include <stdint.h>

#define EPISODE_KEEP 8
#define EPISODE_ID_MAX 64
#define EPISODE_QUIET_DEFAULT_MS (24LL * 3600 * 1000)
#define EPISODE_QUIET_MAX_MS (366LL * 24 * 3600 * 1000)
#define EPISODE_MS_MAX 253402300799999LL /* 9999-12-31T23:59:59.999Z */

typedef struct episode {
    char incident_id[EPISODE_ID_MAX + 1];
    int64_t first_ms, last_ms; /* earliest and latest exceeding reading, Unix ms */
    int64_t peak_ms;
    double peak_value;       /* value at the peak, in the limit's unit (mg/L …) */
    double peak_multiple;    /* largest 超标倍数 */
    uint32_t count;          /* exceeding readings in the episode */
    int has_clean;           /* a within-limit reading after last_ms has been seen */
    int64_t clean_since_ms;  /* earliest such reading */
    int64_t clean_latest_ms; /* latest such reading */
    int ended;
    int64_t end_ms;     /* when the quiet period was complete */
    int64_t descent_ms; /* the first reading after the peak and below it (rule 5); 0 = none
                           yet for this peak */
} episode;

/* Episodes of one station+parameter, oldest first (by first_ms); only the last may be open. */
typedef struct episode_set {
    episode ep[EPISODE_KEEP];
    size_t n;
} episode_set;

typedef struct episode_reading {
    int64_t ms; /* measured time, Unix ms */
    int exceeded;
    double value;    /* in the limit's unit */
    double multiple; /* 超标倍数, >= 0 */
} episode_reading;

typedef enum {
    EPISODE_NOOP = 0,    /* within-limit reading: no incident (may end the open episode) */
    EPISODE_OPENED = 1,  /* a new episode: incident new_incident_id */
    EPISODE_ATTACHED = 2 /* attached to episode index (its incident) */
} episode_action;

typedef struct episode_outcome {
    episode_action action;
    size_t index;     /* OPENED/ATTACHED: index into set->ep after the call */
    int peak_changed; /* this reading is the episode's new peak */
    int ended;        /* the open episode ended on this reading … */
    char ended_incident_id[EPISODE_ID_MAX + 1];   /* … and this was its incident */
    char dropped_incident_id[EPISODE_ID_MAX + 1]; /* oldest episode dropped to make room, or "" */
} episode_outcome;

/* Apply one reading. new_incident_id (1..EPISODE_ID_MAX bytes) is the id a new episode takes
 * if one opens; it may be NULL for a within-limit reading.
 *  HL_EINVAL: quiet_ms outside 1..EPISODE_QUIET_MAX_MS, rd->ms outside 0..EPISODE_MS_MAX,
 *             multiple negative or not finite,
 *             an exceeding reading without a valid new_incident_id.
 * On error the set is unchanged. */
int episode_apply(episode_set *set, const episode_reading *rd, int64_t quiet_ms,
                  const char *new_incident_id, episode_outcome *out);

/* Rule 5: 1 when a reading measured at ms with exceedance multiple (超标倍数, 0 within the
 * limit) is the first after e's peak and below it, and e->descent_ms is set to ms; 0
 * otherwise (before or at the peak, not below it, or the descent was seen already). "Below"
 * is by the multiple, as the peak is, so a lower bound (dissolved oxygen) descends the right
 * way. Call after episode_apply, which clears descent_ms when the peak moves. */
int episode_descent(episode *e, int64_t ms, double multiple);

/* Index of the episode of incident_id, or -1. */
int episode_find(const episode_set *set, const char *incident_id);

#endif
