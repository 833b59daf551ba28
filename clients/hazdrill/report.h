/* report.h — the drill report: report.json for scripts, report.md for people.
 *
 * report.md is rendered from the same JSON document, so the two never disagree.
 * Every time is given as Unix ms UTC (drill clock, "*_ms"), as ISO 8601 in Beijing time
 * ("+08:00") and as an offset from the drill's start ("+HH:MM:SS"); latencies are drill
 * seconds; the clock scale says how many drill seconds one real second was.
 */
#ifndef HAZDRILL_REPORT_H
#define HAZDRILL_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "expect.h"
#include "scenario.h"

#define DRILL_MAX_EVENTS 4096 /* progress lines kept for the report (more are counted) */
#define DRILL_MAX_PROBLEMS 16
#define DRILL_LINE_MAX 400

typedef struct drill_event_line {
    int64_t drill_ms;
    char type[HL_TYPE_MAX + 1];
    char text[DRILL_LINE_MAX];
} drill_event_line;

#define DRILL_MAX_ACKS_SEEN 4096

typedef struct drill_ack_seen {
    char task_id[HL_ID_MAX + 1];
    int64_t real_ms;
} drill_ack_seen;

typedef struct drill_partner_info {
    char unit_id[HL_ID_MAX + 1];
    double ack_delay_s;
    int exported;    /* export read */
    char error[256]; /* why not */
} drill_partner_info;

/* Everything about the run that is not a service record. */
typedef struct drill_run_info {
    const drill_scenario *sc;
    const char *mode; /* "started" (own stack) or "connected" */
    char clock_spec[128];
    double scale;
    int64_t start_ms; /* drill time of offset 00:00 */
    int64_t end_ms;   /* drill time the drill stopped */
    int64_t wall_start_real_ms, wall_end_real_ms;
    char ended_by[128]; /* "all tasks settled", "duration reached", … */
    int base_port;
    char data_dir[512];
    double ack_delay_override; /* < -1: none */
    /* --kill */
    int has_kill;
    char kill_name[96]; /* a service or "hazpartner-UNIT" */
    double kill_at_s, kill_down_s;
    int64_t killed_ms, restarted_ms; /* drill time; 0 = did not happen */
    int kill_ok;
    char kill_error[256];
    /* when each acknowledgement event reached hazdrill (real ms), for the trigger → all
     * acknowledged chains; owned by the runner */
    drill_ack_seen *acks;
    size_t n_acks;
    /* partners */
    drill_partner_info partners[DRILL_MAX_UNITS];
    size_t n_partners;
    /* what went wrong outside the expectations (a service died, a query failed) */
    char problems[DRILL_MAX_PROBLEMS][256];
    size_t n_problems;
    drill_event_line *events; /* progress lines (owned by the runner) */
    size_t n_events;
    size_t events_dropped;
} drill_run_info;

/* Build the report document. NULL on allocation failure. */
json_t *drill_report_json(const drill_run_info *ri, const drill_facts *f,
                          const drill_outcome *outcomes, size_t n_outcomes);
/* Render doc as Markdown to out. HL_EIO on a write error. */
int drill_report_markdown(const json_t *doc, FILE *out);
/* Write dir/report.json and dir/report.md (dir created if missing). HL_EIO (err names the
 * file and the OS reason). */
int drill_report_write(const json_t *doc, const char *dir, char *err, size_t errlen);

#endif
