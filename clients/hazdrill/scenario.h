/* scenario.h — a drill scenario file (playbooks/drills/NAME.yaml) and the catalogue of ids it
 * is checked against.
 *
 * A scenario names a drill, its start (ISO 8601 with an explicit offset, e.g. +08:00), the
 * clock scale (drill ms per real ms), the longest drill time it may run, the units for which
 * a hazpartner agent runs (with its acknowledgement delay in drill seconds), the injects
 * (monitoring readings and incident reports at drill offsets) and the expectations checked
 * at the end. Layout and every field: playbooks/drills/README.md and kuitun-benzene.yaml.
 *
 * Drill offsets are written "HH:MM" or "HH:MM:SS" after the start ("+" allowed in front),
 * so a drill writer reads them like a drill timetable.
 *
 * Errors: every refusal is "file:line: field: what" in err; unknown keys are refused
 * (hl_yaml_only), as are ids not in the catalogue (stations, units, risk sources).
 */
#ifndef HAZDRILL_SCENARIO_H
#define HAZDRILL_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "hazlink/hl_codec.h"

#define DRILL_MAX_UNITS 64 /* partner agents one drill starts */
#define DRILL_MAX_INJECTS 256
#define DRILL_MAX_EXPECTS 32
#define DRILL_DESC_MAX 1024               /* bytes of a description (scenario or report) */
#define DRILL_MAX_DRILL_S (7.0 * 86400.0) /* a drill spans at most a week of drill time */
#define DRILL_MAX_ACK_DELAY_S 86400.0
#define DRILL_MAX_VALUE 1e9 /* largest reading value accepted, in its own unit */
#define DRILL_MAX_MASS_KG 1e9

typedef enum {
    DRILL_INJECT_READING = 0,
    DRILL_INJECT_REPORT = 1,
    DRILL_INJECT_FACTS = 2, /* alert.facts on the incident a report of this drill opened */
} drill_inject_kind;

/* Facts that grade an incident (proto/alert.proto IncidentFacts; 2014 national plan 附件1),
 * each optional: has[k] = 0 means "not known yet", which differs from 0 or "none". The keys
 * in a scenario are the proto's field names, in this order. */
typedef enum {
    DRILL_FACT_DEATHS = 0, /* 人 */
    DRILL_FACT_POISONED,   /* poisoned_or_seriously_injured, 人 */
    DRILL_FACT_EVACUATED,  /* 人 */
    DRILL_FACT_LOSS,       /* direct_economic_loss_yuan, 元 */
    DRILL_FACT_DRINKING,   /* drinking_water_interruption: none|town|county|city */
    DRILL_FACT_CROSS,      /* cross_boundary: none|county|prefecture|province|national */
    DRILL_FACT_ECOLOGY,    /* a keyword of the grading csv's ecology rows, or none */
    DRILL_FACT_RADIATION,  /* a keyword of the grading csv's radiation rows, or none */
    DRILL_FACT_COUNT
} drill_fact;
#define DRILL_FACT_NUMERIC 4      /* facts before this one are numbers */
#define DRILL_FACT_KEYWORD_MAX 63 /* bytes of a categorical fact (the alert service's limit) */
#define DRILL_MAX_COUNT 1e9       /* largest count of people */
#define DRILL_MAX_LOSS_YUAN 1e15  /* the alert service's GRADING_AMOUNT_MAX */

typedef struct drill_facts_in {
    int has[DRILL_FACT_COUNT];
    double num[DRILL_FACT_NUMERIC];
    char cat[DRILL_FACT_COUNT][DRILL_FACT_KEYWORD_MAX + 1]; /* [DRILL_FACT_NUMERIC..) used */
    char basis[DRILL_DESC_MAX + 1];                         /* where they come from */
    int n;                                                  /* facts given */
} drill_facts_in;

/* "deaths", …, "radiation" (the proto field names); NULL out of range. */
const char *drill_fact_name(drill_fact f);

typedef struct drill_inject {
    drill_inject_kind kind;
    double at_s; /* drill seconds after start, >= 0 */
    int line;    /* line in the scenario file */
    /* reading */
    char station_id[HL_ID_MAX + 1];
    char parameter[HL_ID_MAX + 1]; /* GB 3838 item name or alias, e.g. "苯" */
    double value;
    char unit[16]; /* "mg/L", "ug/L", "µg/L", "ng/L" */
    /* report */
    char report_id[HL_ID_MAX + 1];
    double released_at_s;          /* drill offset the release began (default: at) */
    char source_id[HL_ID_MAX + 1]; /* risk source id, may be "" */
    char substance[HL_ID_MAX + 1];
    double chainage_km;
    double mass_kg;    /* 0 = unknown */
    double duration_s; /* 0 = instantaneous */
    char reporter_unit[HL_ID_MAX + 1];
    char description[DRILL_DESC_MAX + 1];
    /* report (optional "facts") and facts (required; report_id names the report whose
     * incident they are about, an earlier report inject of the same scenario) */
    drill_facts_in facts;
} drill_inject;

typedef enum {
    DRILL_EXPECT_INCIDENT_OPENED = 0, /* incident at station/parameter within_s of 1st exceedance */
    DRILL_EXPECT_INTERCEPT_BEFORE_FRONT, /* intercept task at the chosen (first reachable:
                                            ready in time, holds the plume) space delivered
                                            margin_s before the forecast front */
    DRILL_EXPECT_RECEPTOR_OWNERS_TASKED, /* each threatened drinking-water receptor's owner has a
                                            task */
    DRILL_EXPECT_COUNTERPART_NOTIFIED,   /* a notify_counterpart task reached the other side */
    DRILL_EXPECT_ALL_ACKNOWLEDGED,       /* every task acknowledged (within_s of creation if > 0) */
    DRILL_EXPECT_MATERIALS_COVERED,      /* reserved + reported shortfall cover every need */
    DRILL_EXPECT_DELIVERED_ONCE,         /* every task shown exactly once to its partner */
    DRILL_EXPECT_ONE_INCIDENT_PER_RELEASE, /* each reported release is one incident: the
                                              exceedances below it attach to it (its
                                              episodes), no second incident opens */
    DRILL_EXPECT_KIND_COUNT
} drill_expect_kind;

/* "incident_opened" … ; NULL for an out-of-range kind. */
const char *drill_expect_kind_name(drill_expect_kind k);
/* Inverse of drill_expect_kind_name. HL_ENOTFOUND. */
int drill_expect_kind_parse(const char *s, drill_expect_kind *out);

typedef struct drill_expect {
    drill_expect_kind kind;
    int line;
    char station_id[HL_ID_MAX + 1]; /* incident_opened */
    char parameter[HL_ID_MAX + 1];  /* incident_opened ("" = any) */
    double within_s;              /* incident_opened (required), all_acknowledged (0 = no bound) */
    char space_id[HL_ID_MAX + 1]; /* intercept_before_front: expected space ("" = the plan's
                                     first reachable one, whatever its id) */
    double margin_s;              /* intercept_before_front: required lead, drill s */
    char side[16];                /* counterpart_notified: "corps"/"local" ("" = opposite of
                                     the incident's jurisdiction) */
} drill_expect;

typedef struct drill_unit {
    char id[HL_ID_MAX + 1];
    double ack_delay_s; /* drill seconds; < 0 = no automatic acknowledgement */
    int line;
} drill_unit;

typedef struct drill_scenario {
    char file[512];
    char name[HL_NAME_MAX + 1];
    char description[DRILL_DESC_MAX + 1];
    char start_text[40]; /* as written */
    int64_t start_ms;    /* Unix ms UTC */
    double scale;        /* (0, HL_CLOCK_MAX_SCALE] */
    double duration_s;   /* drill seconds after which the drill stops */
    char season[16];     /* "" = by date */
    drill_unit units[DRILL_MAX_UNITS];
    size_t n_units;
    drill_inject injects[DRILL_MAX_INJECTS]; /* sorted by at_s (stable) */
    size_t n_injects;
    drill_expect expects[DRILL_MAX_EXPECTS];
    size_t n_expects;
} drill_scenario;

/* Ids a scenario may name, read from a plan folder (playbooks/<plan>/). Only what a drill
 * needs: the services validate those files fully when they load them. */
typedef struct drill_receptor {
    char id[HL_ID_MAX + 1];
    char name[HL_NAME_MAX + 1];
    char unit_id[HL_ID_MAX + 1]; /* owner */
    char jurisdiction[16];
    int drinking_source;
    double chainage_km;
} drill_receptor;

#define DRILL_CAT_MAX 512

typedef struct drill_catalog {
    char stations[DRILL_CAT_MAX][HL_ID_MAX + 1];
    double station_km[DRILL_CAT_MAX]; /* chainage; NAN when stations.yaml gives none */
    size_t n_stations;
    char units[DRILL_CAT_MAX][HL_ID_MAX + 1];
    char unit_sides[DRILL_CAT_MAX][16]; /* "corps","local","enterprise" or "" */
    size_t n_units;
    char sources[DRILL_CAT_MAX][HL_ID_MAX + 1];
    size_t n_sources;
    drill_receptor receptors[DRILL_CAT_MAX];
    size_t n_receptors;
} drill_catalog;

/* Read stations.yaml, receptors.yaml, units.yaml and risk_sources.yaml of plan_dir into a
 * new catalogue (*out, free with free()). HL_EIO (file missing: err names it), HL_EPARSE
 * (file:line: field: what), HL_ETOOBIG (more than DRILL_CAT_MAX entries), HL_ENOMEM. */
int drill_catalog_load(const char *plan_dir, drill_catalog **out, char *err, size_t errlen);
int drill_catalog_has_station(const drill_catalog *c, const char *id);
/* Chainage of station id in km, or NAN when unknown. */
double drill_catalog_station_km(const drill_catalog *c, const char *id);
int drill_catalog_has_unit(const drill_catalog *c, const char *id);
int drill_catalog_has_source(const drill_catalog *c, const char *id);
/* Side of unit id, or "" when unknown. */
const char *drill_catalog_unit_side(const drill_catalog *c, const char *id);

/* Parse a drill offset "HH:MM" or "HH:MM:SS" (optional leading '+'; hours 0..168, minutes
 * and seconds 0..59) into drill seconds. HL_EINVAL. */
int drill_offset_parse(const char *s, double *out_s);
/* Format drill seconds as "+HH:MM:SS" (negative as "-HH:MM:SS"). HL_ETOOBIG if n < 16. */
int drill_offset_format(double s, char *buf, size_t n);

/* Load and check a scenario against cat. *out is heap memory, free with free().
 *  HL_EIO      the file cannot be read (err names it)
 *  HL_EPARSE   syntax error, missing or unknown field, wrong type, unknown id (file:line)
 *  HL_EINVAL   a number or time outside its range (file:line)
 *  HL_ETOOBIG  a string or list over its limit (file:line)
 *  HL_ENOMEM */
int drill_scenario_load(const char *path, const drill_catalog *cat, drill_scenario **out, char *err,
                        size_t errlen);

#endif
