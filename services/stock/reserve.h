/* reserve.h — depots, their stock levels, and the reservation planner (pure: no I/O, no clock).
 *
 * A depot holds, per material, a level computed from its ledger (ledger.h): on hand,
 * reserved, issued, and what can still be promised (available: on hand not expired, minus
 * reserved, and never more than any later entry of the ledger leaves).
 *
 * A reservation covers each needed material from the depots nearest to the incident point
 * that have some of it available, splitting a need across several depots when the nearest
 * cannot cover it alone, and reports what no depot could cover as the shortfall. It never
 * promises more than available (DESIGN.md: "stock never goes negative, whatever the order in
 * which entries arrive"); the ledger checks this again (ledger_check) when the reservation
 * entries are written.
 *
 * Distance is the great-circle distance between the incident point and the depot's point,
 * by the haversine formula on a sphere of radius STOCK_EARTH_RADIUS_KM:
 *
 *     a = sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2)
 *     d = 2 R · asin(√a)
 *
 * (φ latitude, λ longitude, in radians). The sphere errs by at most about 0.5 % against the
 * WGS84 ellipsoid, far below the uncertainty of the depot points themselves (several are
 * city-centre proxies, see depots.yaml). It is a straight-line distance, not a road distance.
 *
 * Quantities are in the material's unit (materials.yaml) and may be fractional (tonnes).
 * Amounts within STOCK_EPS of zero count as zero, so floating-point residue never shows up
 * as a shortfall of 1e-13 t.
 *
 * Reservation states and the actions that move between them:
 *
 *     reserved ──release──▶ released        partial ──release──▶ released
 *     reserved ──issue────▶ issued          partial ──issue────▶ issued
 *
 * "partial" is a reservation made with a shortfall. released and issued are final; any other
 * move is HL_ESTATE.
 */
#ifndef STOCK_RESERVE_H
#define STOCK_RESERVE_H

#include <stddef.h>
#include <stdint.h>
#include "hazlink/hl_codec.h"

#define STOCK_EARTH_RADIUS_KM 6371.0088 /* IUGG mean Earth radius R1 */
#define STOCK_DEPOTS_MAX 64             /* depots in one file / ledger */
#define STOCK_MATERIALS_MAX 64          /* materials in the catalogue, and per depot */
#define STOCK_LINES_MAX HL_LIST_MAX     /* lines of one reservation (and needs, shortfalls) */
#define STOCK_QTY_MAX 1e9               /* largest quantity accepted anywhere */
#define STOCK_EPS 1e-9                  /* amounts at or below this are zero */
#define STOCK_JURISDICTION_MAX 16       /* "corps", "local", "enterprise" */
#define STOCK_SEED_LOTS_MAX 256         /* lots of opening stock in depots.yaml, all depots */
#define STOCK_ROW_LOTS_MAX 64           /* lots of one stock row (= LEDGER_LOTS_MAX) */

/* One material in one depot: figures computed from its ledger (ledger.h) as of a time. */
typedef struct stock_level {
    char material_id[HL_ID_MAX + 1];
    double on_hand;   /* in the depot, expired or not */
    double reserved;  /* promised to reservations not yet released or issued */
    double issued;    /* handed out so far (history, not counted in on_hand) */
    double available; /* what can still be promised (ledger_promisable): the planner's figure */
    double expired;   /* on hand past its expiry (not available) */
    double below;     /* on hand − expired − reserved, the figure minimum levels watch */
    double minimum;   /* minimum level (depots.yaml); 0 = none */
} stock_level;

/* A depot: where it is, who holds it, and its ledger. Display fields are carried for the
 * service; the planner uses only id, lat, lon and levels. */
typedef struct stock_depot {
    char id[HL_ID_MAX + 1];
    char name[HL_NAME_MAX + 1];
    char jurisdiction[STOCK_JURISDICTION_MAX + 1];
    char owner_unit[HL_ID_MAX + 1];
    double lat, lon;                  /* WGS84 degrees */
    double dispatch_min;              /* minutes to load and leave (assumption, depots.yaml) */
    char confidence[HL_NAME_MAX + 1]; /* of the point, as in depots.yaml */
    int quantity_assumed;             /* stock figures are hazlink assumptions */
    size_t nlevels;
    stock_level levels[STOCK_MATERIALS_MAX];
} stock_depot;

/* A lot of the opening stock in depots.yaml. */
typedef struct stock_seed_lot {
    size_t depot, level; /* indexes of items[] and of that depot's levels[] */
    char lot_id[HL_ID_MAX + 1];
    double quantity;   /* > 0 */
    int64_t expiry_ms; /* 0 = none */
} stock_seed_lot;

typedef struct stock_depots {
    size_t n;
    stock_depot items[STOCK_DEPOTS_MAX];
    /* From depots.yaml, not used by the planner: */
    int64_t as_of_ms;     /* effective time of the opening stock */
    double detour_factor; /* road km per great-circle km (assumption) */
    double speed_kmh;     /* assumed road speed of a loaded truck */
    char road_note[HL_TEXT_MAX + 1];
    size_t nlots;
    stock_seed_lot lots[STOCK_SEED_LOTS_MAX];
} stock_depots;

typedef struct stock_need {
    char material_id[HL_ID_MAX + 1];
    double quantity; /* >= 0, in the material's unit */
} stock_need;

/* One depot's part of one need. */
typedef struct stock_line {
    char material_id[HL_ID_MAX + 1];
    char depot_id[HL_ID_MAX + 1];
    double quantity;    /* > STOCK_EPS */
    double distance_km; /* great-circle, incident point to depot */
} stock_line;

/* What a reservation would take, and what it could not cover. Large (≈ 300 KB): allocate
 * with stock_plan_new. */
typedef struct stock_plan {
    size_t nlines;
    stock_line lines[STOCK_LINES_MAX];
    size_t nshort;
    stock_need shortfall[STOCK_LINES_MAX]; /* one per need not fully covered, in need order */
} stock_plan;

typedef enum {
    STOCK_RSV_RESERVED = 0,
    STOCK_RSV_PARTIAL,
    STOCK_RSV_RELEASED,
    STOCK_RSV_ISSUED,
} stock_rsv_state;

typedef enum { STOCK_ACT_RELEASE = 0, STOCK_ACT_ISSUE } stock_rsv_action;

/* Great-circle distance in km between two WGS84 points given in degrees (formula above).
 * Returns NaN if any argument is not finite. */
double stock_distance_km(double lat1, double lon1, double lat2, double lon2);

/* l->available, never below 0. */
double stock_level_available(const stock_level *l);

/* The level of material_id in d, or NULL. The pointer lives as long as d. */
stock_level *stock_depot_level(stock_depot *d, const char *material_id);
const stock_level *stock_depot_level_c(const stock_depot *d, const char *material_id);
/* Index of depot id in ds, or HL_ENOTFOUND. */
int stock_depots_find(const stock_depots *ds, const char *id);

/* Zeroed plan on the heap, or NULL. stock_plan_destroy accepts NULL and clears *p. */
stock_plan *stock_plan_new(void);
void stock_plan_destroy(stock_plan **p);

/* Plan a reservation of needs near (lat, lon) against ds, without changing ds.
 * Needs are served in the order given; a material named twice is served twice, the second
 * need seeing what the first took. Depots whose ledger lacks the material or has none
 * available are skipped; equally distant depots are taken in ds order.
 * A need of 0 gives no line and no shortfall.
 *  HL_EINVAL  lat outside [-90, 90], lon outside [-180, 180], a quantity negative, above
 *             STOCK_QTY_MAX or not finite, an empty material id
 *  HL_ETOOBIG nneeds > STOCK_LINES_MAX, or the plan would need more than STOCK_LINES_MAX
 *             lines
 *  HL_ENOMEM
 * On error *out is left empty (nlines = nshort = 0). */
int stock_reserve_plan(const stock_depots *ds, double lat, double lon, const stock_need *needs,
                       size_t nneeds, stock_plan *out);

/* The planner behind stock_reserve_plan and stock_cover_plan (cover.h): depots are tried in
 * increasing key[i] (equal keys in ds order) and each line records dist[i] as distance_km.
 * key and dist have ds->n entries. Same errors as stock_reserve_plan, without the point. */
int stock_plan_ordered(const stock_depots *ds, const double *key, const double *dist,
                       const stock_need *needs, size_t nneeds, stock_plan *out);

/* "reserved", "partial", "released", "issued". Never NULL ("?" for a bad value). */
const char *stock_rsv_state_name(stock_rsv_state s);
/* Parse a state name. HL_EINVAL. */
int stock_rsv_state_parse(const char *name, stock_rsv_state *out);
/* "release" (or "" meaning release) and "issue". HL_EINVAL. */
int stock_rsv_action_parse(const char *name, stock_rsv_action *out);
/* The state after action from state from (diagram above), or HL_ESTATE. */
int stock_rsv_transition(stock_rsv_state from, stock_rsv_action a, stock_rsv_state *to);
/* reserved when nothing is short, else partial. */
stock_rsv_state stock_plan_state(const stock_plan *p);

#endif
