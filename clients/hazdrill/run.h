/* run.h — playing a scenario against a live stack (the imperative shell of hazdrill).
 *
 * One libuv loop: a timer plays the injects on the drill clock, SUB sockets (hl_bus) on every
 * service's event endpoint print progress, a slow tick watches the children and decides when
 * the drill is over. Requests to the services are blocking hl_call()s: they are few, and
 * events queue in the SUB sockets meanwhile.
 */
#ifndef HAZDRILL_RUN_H
#define HAZDRILL_RUN_H

#include "hazlink/hl_config.h"
#include "scenario.h"

#define DRILL_DEFAULT_PREROLL_MS 4000 /* real ms the stack gets to start before drill 00:00 */
#define DRILL_QUIET_MS 1000           /* real ms without events before the drill may end */
#define DRILL_TICK_MS 250
#define DRILL_EXPORT_MAX (4u * 1024u * 1024u) /* bytes of one partner export */

typedef struct drill_opts {
    const char *scenario_path;
    char out_dir[512];
    double scale;      /* 0 = the scenario's */
    int connect;       /* use a running stack */
    int no_partners;   /* with connect: partners already run */
    int data_explicit; /* cfg->data_dir was chosen by the user: never wiped */
    int has_kill;
    char kill_name[80]; /* service or "hazpartner-UNIT" */
    double kill_at_s;   /* drill offset */
    double kill_down_s; /* drill seconds before the restart */
    double ack_delay;   /* < -1: use the scenario's; else every unit's delay */
    int preroll_ms;
    int quiet; /* no progress lines */
} drill_opts;

/* Run the drill, write the report into o->out_dir. *pass is 1 when every expectation held
 * and nothing else went wrong. Returns 0 when a report was written (whatever the verdict),
 * or a negative HL_E* when the drill could not run at all (err says why). */
int drill_run(const drill_opts *o, hl_config *cfg, const drill_scenario *sc,
              const drill_catalog *cat, int *pass, char *err, size_t errlen);

#endif
