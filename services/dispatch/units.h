/* units.h — the unit roster (playbooks/<plan>/units.yaml): who receives tasks and who each
 * unit answers to.
 *
 * Dispatch delivers tasks only to units in the roster, and the partner gateway admits only
 * them. The file format is documented at the top of playbooks/kuitun/units.yaml.
 *
 * Validation (every error is "file:line: field: what", the line of the offending value):
 *  - the top is a map with exactly one key, "units", a sequence of 1..UNITS_MAX maps;
 *  - each unit has only the keys id, name, name_en, side, jurisdiction, reports_to, duty,
 *    assumption, escalation (a misspelt key is an error, not ignored);
 *  - id passes hl_id_check and is unique; name, duty required; side is corps|local|
 *    enterprise; reports_to is "" or the id of another unit of the roster, and following
 *    reports_to never comes back to a unit (no cycles);
 *  - escalation, when present, is a sequence of at most UNITS_ESC_MAX maps {after_min: 1..
 *    10080 (a week), to: a unit id of the roster other than the unit itself}, in increasing
 *    after_min.
 * Lengths: names, jurisdiction at most HL_NAME_MAX bytes; duty, assumption at most
 * HL_TEXT_MAX bytes (HL_ETOOBIG beyond).
 */
#ifndef DISPATCH_UNITS_H
#define DISPATCH_UNITS_H

#include <stddef.h>
#include "hazlink/hl_codec.h"

#define UNITS_MAX 256   /* units in one roster */
#define UNITS_ESC_MAX 8 /* steps of one escalation chain */
#define UNITS_ESC_MAX_MIN 10080

typedef struct unit_esc_step {
    int after_min; /* minutes without acknowledgement */
    char to[HL_ID_MAX + 1];
} unit_esc_step;

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
    unit_esc_step esc[UNITS_ESC_MAX];
    int line; /* line of the unit in its file, for later messages */
} unit_info;

typedef struct units_roster {
    char file[512];
    size_t n;
    unit_info *units; /* n entries, in file order */
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

#endif
