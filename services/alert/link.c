/* link.c — see link.h for the rule. */
#include "link.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hazlink/forecast.h"
#include "hazlink/hl_error.h"

int link_window_for(const hl_network *net, const link_candidate *c, double station_km,
                    link_window *out)
{
    memset(out, 0, sizeof *out);
    if (!isfinite(c->duration_s) || c->duration_s < 0 || c->release_ms < 0 ||
        !isfinite(station_km) || !isfinite(c->release_km) || station_km < c->release_km)
        return HL_EINVAL;
    double best = INFINITY;
    int unverified = 0;
    for (int s = 0; s < HL_SEASON_COUNT; s++) {
        double t;
        int unv = 0;
        int rc = hl_forecast_travel_s(net, (hl_season)s, c->release_km, station_km, &t, &unv);
        if (rc < 0)
            return rc;
        unverified |= unv;
        if (t < best)
            best = t;
    }
    out->fastest_travel_s = best;
    out->velocities_unverified = unverified;
    out->from_ms = c->release_ms + llround(LINK_EARLY_FACTOR * best * 1000.0) - LINK_SLACK_MS;
    out->to_ms = c->release_ms + llround(c->duration_s * 1000.0) +
                 llround(LINK_LATE_FACTOR * best * 1000.0) + LINK_SLACK_MS;
    return 0;
}

int link_choose(const hl_network *net, const link_candidate *c, size_t n, const char *parameter,
                double station_km, int64_t first_ms, link_window *win, char *reason,
                size_t reasonlen)
{
    int best = -1;
    link_window best_w = {0};
    for (size_t i = 0; i < n; i++) {
        if (!c[i].parameter || !parameter || strcmp(c[i].parameter, parameter) != 0)
            continue;
        link_window w;
        if (link_window_for(net, &c[i], station_km, &w) < 0)
            continue; /* above the station, off the network, or malformed */
        if (first_ms < w.from_ms || first_ms > w.to_ms)
            continue;
        if (best >= 0) {
            const link_candidate *b = &c[best];
            if (c[i].release_km < b->release_km)
                continue;
            if (c[i].release_km == b->release_km && c[i].release_ms <= b->release_ms)
                continue;
        }
        best = (int)i;
        best_w = w;
    }
    if (best >= 0) {
        if (win)
            *win = best_w;
        if (reason && reasonlen)
            snprintf(reason, reasonlen,
                     "same %s as reported incident %s, released at km %.1f; km %.1f is "
                     "%.0f min downstream at the fastest season's velocities%s, arrival "
                     "window %.0f..%.0f min after the release start",
                     parameter, c[best].incident_id, c[best].release_km, station_km,
                     best_w.fastest_travel_s / 60.0,
                     best_w.velocities_unverified ? " (unverified)" : "",
                     (double)(best_w.from_ms - c[best].release_ms) / 60000.0,
                     (double)(best_w.to_ms - c[best].release_ms) / 60000.0);
    }
    return best;
}
