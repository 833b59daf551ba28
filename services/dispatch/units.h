/* units.h — the unit roster (playbooks/<plan>/units.yaml): who receives tasks, who each
 * unit answers to, and how an unacknowledged task escalates.
 *
 * Dispatch delivers tasks only to units in the roster, and the partner gateway admits only
 * them. The file format is documented at the top of playbooks/kuitun/units.yaml.
 *
 * Validation (every error is "file:line: field: what", the line of the offending value):
 *  - the top is a map with the key "units", a sequence of 1..UNITS_MAX maps, and optionally
 *    "escalation" (below);
 *  - each unit has only the keys id, name, name_en, side, jurisdiction, reports_to, duty,
 *    assumption, escalation (a misspelt key is an error, not ignored);
 *  - id passes hl_id_check and is unique; name, duty required; side is corps|local|
 *    enterprise; reports_to is "" or the id of another unit of the roster, and following
 *    reports_to never comes back to a unit (no cycles);
 *  - a unit's escalation, when present, is a sequence of at most UNITS_ESC_MAX unit ids of
 *    the roster, none the unit itself, none twice: who is told, in order, when the unit does
 *    not acknowledge a task (escalation.h). Without it the chain follows reports_to.
 *  - the top-level escalation section, when present, is a map with ack_timeout_min (a map
 *    of the four warning levels 蓝 黄 橙 红 to minutes, 1..ESC_TIMEOUT_MAX_MIN, never longer
 *    for a more severe level), repeats (0..ESC_REPEATS_MAX), default_level (the level of a
 *    task that gives none) and assumption (why the numbers are what they are: no standard
 *    sets them). Without the section dispatch escalates nothing.
 * Lengths: names, jurisdiction at most HL_NAME_MAX bytes; duty, assumption at most
 * HL_TEXT_MAX bytes (HL_ETOOBIG beyond).
 */
#ifndef DISPATCH_UNITS_H
#define DISPATCH_UNITS_H

#include <stddef.h>
#include "escalation.h"
#include "hazlink/hl_codec.h"

#define UNITS_MAX 256                     /* units in one roster */
#define UNITS_ESC_MAX (ESC_CHAIN_MAX - 1) /* units after a unit in its escalation chain */

typedef struct unit_info {
    char id[HL_ID_MAX + 1];
    char name[HL_NAME_MAX + 1];
    char name_en[HL_NAME_MAX + 1];
    char side[16]; /* "corps", "local" or "enterprise" */
    char jurisdiction[HL_NAME_MAX + 1];
    char reports_to[HL_ID_MAX + 1]; /* "" at the top of a chain */
    char duty[HL_TEXT_MAX + 1];
    char assumption[HL_TEXT_MAX + 1]; /* "" when nothing about the unit is assumed */
    size_t nesc;
    char esc[UNITS_ESC_MAX][HL_ID_MAX + 1]; /* escalation chain after the unit, in order */
    int line;                               /* line of the unit in its file, for later messages */
} unit_info;

typedef struct units_roster {
    char file[512];
    size_t n;
    unit_info *units; /* n entries, in file order */
    esc_policy esc;   /* the escalation section; esc.enabled 0 when absent */
    char esc_assumption[HL_TEXT_MAX + 1];
} units_roster;

/* Load and validate a roster file. *out owned by the caller (units_destroy).
 *  HL_EIO (cannot read: err names the path), HL_EPARSE (err "file:line: field: what"),
 *  HL_EINVAL (a value out of range), HL_ETOOBIG (a string or the list too long),
 *  HL_ENOMEM. On error *out is NULL. */
int units_load(const char *path, units_roster **out, char *err, size_t errlen);
/* Same from memory; name stands for the file in messages. */
int units_load_mem(const char *name, const void *buf, size_t len, units_roster **out, char *err,
                   size_t errlen);
/* Accepts NULL and *r == NULL; clears *r. */
void units_destroy(units_roster **r);

/* The unit with id, or NULL (also for NULL/empty id). Pointer valid while r lives. */
const unit_info *units_find(const units_roster *r, const char *id);

/* The escalation chain of a task for unit: chain[0] = unit, then its escalation list, or,
 * when it has none, the units it reports to, nearest first (at most UNITS_ESC_MAX after
 * it). *n gets the length (1 for a unit with neither). HL_ENOTFOUND for a unit outside the
 * roster. */
int units_chain(const units_roster *r, const char *unit, char (*chain)[HL_ID_MAX + 1], size_t *n);

#endif
