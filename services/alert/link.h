/* link.h — one incident per release: an exceedance downstream of a release a person already
 * reported attaches to that incident instead of opening a second one.
 *
 * Why: in the Kuitun drill the refinery reports the benzene release at its outfall (km 22)
 * and, half an hour later, the station 3 km below (st-dsz-down, km 25) exceeds the limit.
 * Without this rule the duty officer gets two incidents, two plans and duplicate tasks for
 * one release.
 *
 * The rule (hazlink's, not a national standard; stated so it can be checked):
 *  A new exceedance episode of parameter P at a station at chainage x_s, first exceeding at
 *  t, attaches to an OPEN incident opened from a person's report when
 *   1. the report's substance is the same GB 3838 item P;
 *   2. the station is at or below the release point: x_s >= x_r;
 *   3. t falls in the arrival window
 *        [t_r + LINK_EARLY_FACTOR * T - LINK_SLACK_MS,
 *         t_r + D + LINK_LATE_FACTOR * T + LINK_SLACK_MS]
 *      where t_r is the release start, D its duration (0 when instantaneous or unknown) and
 *      T the travel time from x_r to x_s at the velocities of the FASTEST season (the
 *      smallest of the four seasons' travel times, hl_forecast_travel_s over the network's
 *      reaches). 0.5 × T allows a front that dispersion carries ahead of the mean flow and
 *      velocities that are assumptions (unverified); 3 × T covers the slowest season (the
 *      Kuitun plan's winter velocities are a third of summer's) and the tail of the plume;
 *      D: the release goes on that long; the slack: a reported start time is an estimate
 *      ("about 10:00").
 *  Among several such incidents the one whose release point is nearest upstream wins, then
 *  the latest release, then the first given.
 *
 * Pure: the network is data; no clock, no I/O.
 */
#ifndef ALERT_LINK_H
#define ALERT_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "hazlink/network.h"

#define LINK_EARLY_FACTOR 0.5
#define LINK_LATE_FACTOR 3.0
#define LINK_SLACK_MS (30LL * 60 * 1000)
#define LINK_REASON_MAX 383

/* An open incident reported by a person. Strings are the caller's. */
typedef struct link_candidate {
    const char *incident_id;
    const char *parameter; /* GB 3838 item name as stored */
    double release_km;
    int64_t release_ms;
    double duration_s; /* 0 = instantaneous or unknown */
} link_candidate;

/* The arrival window of a candidate at a station. */
typedef struct link_window {
    double fastest_travel_s; /* T */
    int64_t from_ms, to_ms;
    int velocities_unverified; /* T rests on assumed velocities */
} link_window;

/* Window of c at station chainage station_km. HL_EINVAL: the station is above the release
 * point, either chainage is off the network, or a time or duration is negative. */
int link_window_for(const hl_network *net, const link_candidate *c, double station_km,
                    link_window *out);

/* Choose the incident a new episode of parameter at station_km, first exceeding at
 * first_ms, attaches to: the index into c, or -1 when none fits. *win (may be NULL) gets
 * the chosen window; reason (may be NULL) a sentence saying why ("release at km 22.0 at
 * <ms> (incident X); arrival window …"). */
int link_choose(const hl_network *net, const link_candidate *c, size_t n, const char *parameter,
                double station_km, int64_t first_ms, link_window *win, char *reason,
                size_t reasonlen);

#endif
