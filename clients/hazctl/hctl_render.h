/* hctl_render.h — what hazctl shows: reply payloads in, text or JSON out.
 *
 * Pure: no sockets, no clock, no files. Every function takes a decoded payload message (the
 * .proto files under proto/) and either appends readable text to an hctl_buf or returns a
 * new json_t.
 *
 * Text: tables (hctl_table.h) for lists, "label  value" blocks for single records. Times are
 * stored and transmitted as Unix ms UTC (DESIGN.md, Time) and shown as ISO 8601 with an
 * explicit offset, tz_min minutes east of UTC (Beijing time, HL_TZ_BEIJING_MIN = 480, unless
 * the caller says otherwise); a time of 0 means "not set" and shows "-". Values that the data
 * marks unverified keep that mark where they are shown: a risk substance whose GB 18218-2018
 * critical quantity row is unverified shows "(unverified)", a plan whose section velocities
 * are assumptions says so, a location shows its confidence.
 *
 * JSON: the payload message itself, field names exactly as in the .proto (snake_case), all
 * fields present (proto3 defaults included) so scripts need no special cases. Every int64
 * field whose name ends in "_ms" is accompanied by "<name minus _ms>_at": the same instant
 * as ISO 8601 at tz_min, or null when the value is 0. uint64 counters are JSON integers.
 * Non-finite doubles become null. bytes fields become lowercase hex strings.
 *
 * Errors: text functions return 0 or HL_ENOMEM (from the buffer); JSON functions return
 * NULL only when out of memory.
 */
#ifndef HCTL_RENDER_H
#define HCTL_RENDER_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "alert.pb-c.h"
#include "common.pb-c.h"
#include "dispatch.pb-c.h"
#include "playbook.pb-c.h"
#include "risk.pb-c.h"
#include "stock.pb-c.h"
#include "hctl_table.h"

/* ---- Small formatting helpers (exposed for tests) ---- */

/* Unix ms → "2026-11-30T10:00:00+08:00", or "-" for 0 or an unformattable value.
 * buf at least 32 bytes. Returns buf. */
const char *hctl_time_str(int64_t unix_ms, int tz_min, char *buf, size_t n);

/* Warning level as "红 red" whether the data holds "红" or "red" (case-insensitive); ""
 * gives "-"; anything else is shown as given. Levels: 蓝 blue, 黄 yellow, 橙 orange, 红 red
 * (national grading of environmental warnings, 蓝/黄/橙/红 from least to most severe). */
const char *hctl_level_str(const char *level);

/* A number for a table cell: up to 6 significant digits, no trailing zeros ("%.6g");
 * non-finite shows "-". buf at least 32 bytes. Returns buf. */
const char *hctl_num_str(double v, char *buf, size_t n);

/* "HL_ENOTFOUND" for HL_ENOTFOUND (hl_error.h); "unknown code" for anything else. */
const char *hctl_code_name(int code);

/* ---- Status of the stack ---- */

/* One service as hazctl saw it. status NULL = did not answer; problem then says why
 * ("did not answer within 2000 ms"). */
typedef struct hctl_svc_view {
    const char *service;
    const char *endpoint;
    const Hl__ServiceStatus *status;
    const char *problem;
} hctl_svc_view;

int hctl_render_status(const hctl_svc_view *v, size_t n, int tz_min, hctl_buf *out);
/* {"services":[{"service","endpoint","up":bool,"problem":string|null,
 *               "status":ServiceStatus|null}], "up": k, "down": n-k} */
json_t *hctl_json_status(const hctl_svc_view *v, size_t n, int tz_min);

/* ---- Single records ---- */

int hctl_render_reading(const Hl__ReadingResult *r, int tz_min, hctl_buf *out);
/* The whole incident: its fields, then the grade (国家突发环境事件应急预案 2014 附件1: grade,
 * the deciding criterion by its citation, the grade the facts alone give, every criterion
 * met, the facts known and those not known yet), and tables of the reporting duties
 * (突发环境事件信息报告办法: state, due, deadline, done, recipient, clause), the exceedance
 * episodes (with why one attached to a reported release) and the grade changes. A criterion
 * or duty whose row is unverified says "(unverified)". */
int hctl_render_incident(const Hl__Incident *i, int tz_min, hctl_buf *out);
/* Each incident of l in full (hctl_render_incident), a blank line between. */
int hctl_render_incident_details(const Hl__IncidentList *l, int tz_min, hctl_buf *out);
int hctl_render_alert(const Hl__Alert *a, int tz_min, hctl_buf *out);

/* ---- Lists (one table each; an empty list prints "no <things>") ---- */

/* A table (grade and each reporting duty's state in columns), then per incident a line with
 * the deciding criterion and a line with each duty's deadline, "(duty rows unverified)" when
 * a duty's row is. */
int hctl_render_incidents(const Hl__IncidentList *l, int tz_min, hctl_buf *out);
int hctl_render_alerts(const Hl__AlertList *l, int tz_min, hctl_buf *out);
/* Each plan: a block (release, season and velocity flag, chosen space or fallback,
 * reservation, tasks) and a table of its forecast points. */
int hctl_render_plans(const Hl__PlanList *l, int tz_min, hctl_buf *out);
int hctl_render_tasks(const Hl__TaskList *l, int tz_min, hctl_buf *out);
/* Each reservation: a header line and a table of lines; what could not be covered appears
 * as rows whose depot is "(not covered)". */
int hctl_render_reservations(const Hl__ReservationList *l, int tz_min, hctl_buf *out);
int hctl_render_stock(const Hl__StockList *l, int tz_min, hctl_buf *out);
/* A table of the sources and their substances, then per source two lines with its grades
 * (HJ 941-2018: Q, M and E per medium, the level like "较大-水(Q2-M2-E1)"; GB 18218-2018: S,
 * major hazard source or not, R and the grade, the other grade where a β is disputed), each
 * flagged "(unverified)" or "assumed" where the result says so. */
int hctl_render_sources(const Hl__RiskSourceList *l, int tz_min, hctl_buf *out);
/* hctl_render_sources, then per source a table of the terms behind its grades (q, Q, q/Q,
 * β and the table row each comes from) and the results' notes. */
int hctl_render_source_details(const Hl__RiskSourceList *l, int tz_min, hctl_buf *out);
int hctl_render_units(const Hl__UnitList *l, int tz_min, hctl_buf *out);
/* stock.ledger: "as of" (+08:00), then one row per depot and material with every total of
 * the ledger (received, issued, consumed, returned, transfers, written off, adjustments,
 * reserved, on hand, expired, available, minimum); NOTES says BELOW MINIMUM, "opening stock
 * assumed" and "catalogue row unverified" where they apply. */
int hctl_render_ledger(const Hl__LedgerTotals *l, int tz_min, hctl_buf *out);

/* ---- Escalation chain and partner keys (issue 3) ---- */

/* A task's escalation chain (dispatch.chain): a block (task, level and where its timeout comes
 * from, status, the roster's note on the timeouts), the chain of units with what each was
 * told, a table of the steps taken (due and taken times), and the next step and when. The
 * timeouts are a hazlink assumption (units.yaml): the note is always shown. */
int hctl_render_chain(const Hl__Escalation *e, int tz_min, hctl_buf *out);

/* One admitted key as hazctl keys list shows it. */
typedef struct hctl_key_view {
    const char *unit;
    const char *name; /* the unit's name in the roster; NULL: not in the roster */
    const char *pub;  /* z85 public key */
    const char *pair; /* base path of a key pair in <data>/keys/units that holds it, or NULL */
} hctl_key_view;

/* The gateway's public key (NULL: none yet), the table's path, and a table of the keys. */
int hctl_render_keys(const hctl_key_view *v, size_t n, const char *gateway_pub, const char *table,
                     hctl_buf *out);
/* {"gateway_public_key": string|null, "table": path, "keys": [{"unit","name"|null,
 *  "public_key","in_roster","pair"|null}]} */
json_t *hctl_json_keys(const hctl_key_view *v, size_t n, const char *gateway_pub,
                       const char *table);

/* ---- JSON ---- */

/* Any payload message as a JSON object (rules above). NULL only on ENOMEM. */
json_t *hctl_json_message(const ProtobufCMessage *m, int tz_min);

/* {"error":{"service","code","code_name","field","message"}} for an error reply or a
 * service that did not answer (code HL_ETIMEOUT). Strings may be NULL (→ ""). */
json_t *hctl_json_error(const char *service, int code, const char *field, const char *message);

#endif
