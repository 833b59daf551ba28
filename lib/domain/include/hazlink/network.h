/* network.h — the river network of one plan folder (playbooks/<plan>/): reaches, monitoring
 * stations (sections), emergency spaces, sensitive receptors and reference places.
 *
 * Chainage is km along the river from the plan's km 0 (Kuitun: the 将军庙 mountain outlet),
 * increasing downstream. No surveyed river course exists for the Kuitun River, so every
 * chainage, velocity, width, depth, capacity and set-up time in the files is a hazlink
 * assumption; the files say so value group by value group ("assumption:" notes), and the
 * flags below (velocity_unverified, location.confidence) carry that to every user.
 *
 * The loader is the only part of lib/domain that touches the disk. Everything else takes the
 * loaded network (read-only) and returns structs.
 *
 * Ownership: hl_network_load allocates one hl_network; every pointer inside it (arrays,
 * strings) lives until hl_network_destroy. Lookups return pointers into it.
 */
#ifndef HL_NETWORK_H
#define HL_NETWORK_H

#include <stddef.h>
#include <stdint.h>

/* Limits (bytes exclude the NUL; counts are per file). Exceeding one is a load error that
 * names the file, line and field. */
#define HL_NET_ID_MAX 64          /* ids of stations, spaces, receptors, places, units */
#define HL_NET_NAME_MAX 256       /* names */
#define HL_NET_NOTE_MAX 511       /* notes and assumption texts */
#define HL_NET_SHORT_MAX 63       /* kind, confidence */
#define HL_NET_JUR_MAX 15         /* "corps" | "local" */
#define HL_NET_MAX_EXTRA 16       /* extra (GB 3838 table 3) items per station */
#define HL_NET_MAX_REACHES 256
#define HL_NET_MAX_STATIONS 256
#define HL_NET_MAX_SPACES 256
#define HL_NET_MAX_RECEPTORS 256
#define HL_NET_MAX_PLACES 512
#define HL_NET_MAX_KM 2000.0      /* largest chainage accepted */
#define HL_NET_MAX_VELOCITY 10.0  /* m/s; anything above is a typo, not a river */

/* Seasons index reach velocities. Meteorological seasons by Beijing-time month:
 * spring Mar–May (snowmelt rise), summer Jun–Aug (flood season), autumn Sep–Nov,
 * winter Dec–Feb (low flow, ice). */
typedef enum {
    HL_SEASON_SPRING = 0,
    HL_SEASON_SUMMER = 1,
    HL_SEASON_AUTUMN = 2,
    HL_SEASON_WINTER = 3,
    HL_SEASON_COUNT = 4
} hl_season;

/* "spring","summer","autumn","winter" → season. HL_EINVAL for anything else. */
int hl_season_parse(const char *s, hl_season *out);
/* Name of a season ("spring"…); "?" for an invalid value. Static storage. */
const char *hl_season_name(hl_season s);
/* Season of a month 1..12. HL_EINVAL for any other month. */
int hl_season_of_month(int month, hl_season *out);
/* Season at a Unix ms time, taking the month in Beijing time (UTC+08:00). Pure: the caller
 * passes the (drill) time. */
hl_season hl_season_of_ms(int64_t unix_ms);

/* Where something is on the map. Coordinates and confidence are copied from the reference
 * (kuitun-places.csv) exactly; where the reference has no coordinates, has_coords is 0 or
 * the coordinates are a hazlink estimate placed by description (estimated = 1, confidence
 * starts with "none"), and note says which. */
typedef struct hl_location {
    int has_coords;                       /* lat/lon are meaningful */
    int estimated;                        /* lat/lon are a hazlink estimate, not reference */
    double lat, lon;                      /* WGS84 degrees */
    char confidence[HL_NET_SHORT_MAX + 1];/* "high","medium","low","none (placed by description)" */
    char place[HL_NET_ID_MAX + 1];        /* id of the reference place it derives from, or "" */
    char note[HL_NET_NOTE_MAX + 1];
} hl_location;

/* A monitoring station (monitoring section). Limits come from GB 3838-2002: table 1 by
 * water_class; tables 2 and 3 apply to centralised drinking-water source sections
 * (drinking_source); extra_items are the table 3 items the competent authority selected for
 * this section (GB 3838-2002 §4.2/§5: "由县级以上人民政府环境保护行政主管部门从表3中选择确定"). */
typedef struct hl_station {
    char id[HL_NET_ID_MAX + 1];
    char name[HL_NET_NAME_MAX + 1];
    double chainage_km;                   /* assumption (see assumption) */
    int water_class;                      /* 1..5 = I..V */
    int drinking_source;                  /* 0/1 */
    char extra_items[HL_NET_MAX_EXTRA][HL_NET_ID_MAX + 1]; /* GB 3838 item names, e.g. "苯" */
    size_t n_extra;
    char jurisdiction[HL_NET_JUR_MAX + 1];/* "corps" | "local" */
    char unit_id[HL_NET_ID_MAX + 1];      /* unit that samples here */
    hl_location location;
    char assumption[HL_NET_NOTE_MAX + 1]; /* what about this entry is assumed */
    int line;                             /* line in stations.yaml, for messages */
} hl_station;

/* An emergency space (应急空间 / interception point): headworks, reservoir, dam site, bridge. */
typedef struct hl_space {
    char id[HL_NET_ID_MAX + 1];
    char name[HL_NET_NAME_MAX + 1];
    char kind[HL_NET_SHORT_MAX + 1];      /* "headworks","reservoir","bridge","dam" */
    double chainage_km;
    double capacity_m3;                   /* water it can hold back or divert; assumption */
    double setup_h;                       /* hours to make it ready (gates, boom, dam); assumption */
    char unit_id[HL_NET_ID_MAX + 1];      /* operator */
    char jurisdiction[HL_NET_JUR_MAX + 1];
    hl_location location;
    char assumption[HL_NET_NOTE_MAX + 1];
    int line;
} hl_space;

/* A sensitive receptor: a drinking-water source, a nature reserve, an irrigation intake. */
typedef struct hl_receptor {
    char id[HL_NET_ID_MAX + 1];
    char name[HL_NET_NAME_MAX + 1];
    char kind[HL_NET_SHORT_MAX + 1];      /* "groundwater_source","surface_intake","nature_reserve" */
    double chainage_km;                   /* where the river reaches it (recharge/intake); assumption */
    char unit_id[HL_NET_ID_MAX + 1];      /* owner, who is warned */
    int drinking_source;                  /* a drinking-water source (its owner must be warned) */
    int intake_closable;                  /* has an intake/recharge gate that can be closed */
    char jurisdiction[HL_NET_JUR_MAX + 1];
    hl_location location;
    char assumption[HL_NET_NOTE_MAX + 1];
    int line;
} hl_receptor;

/* A section of river between two chainages with uniform hydraulics (forecast.h uses every
 * field: velocity for advection, area for discharge Q = u A, K for dispersion, k for decay).
 *
 * Dispersion K, per reach, in this order (river.yaml):
 *  - dispersion_m2_s given: that value in every season (0 = no dispersion, plug flow);
 *  - else dispersion_formula of the reach, else the plan-wide dispersion_formula: K computed
 *    by that published formula (dispersion.h) from the season's velocity, width_m, depth_m
 *    and u* = sqrt(g R S) with R = W h/(W + 2h) (a rectangular section of that width and
 *    depth; area_m2 may be an effective flow area and is not used for R). Width, depth and a
 *    slope > 0 are then required: a reservoir (slope 0) must give dispersion_m2_s;
 *  - else 0 (plug flow), and the forecast says dispersion is not modelled there. */
typedef struct hl_reach {
    char id[HL_NET_ID_MAX + 1];
    char name[HL_NET_NAME_MAX + 1];
    char kind[HL_NET_SHORT_MAX + 1];      /* "channel" | "reservoir" */
    double from_km, to_km;                /* from_km < to_km; reaches are contiguous */
    double velocity_m_s[HL_SEASON_COUNT]; /* mean section velocity by season, m/s, > 0 */
    double width_m, depth_m, area_m2;     /* area 0 = width*depth when both given; 0 = unknown */
    double slope;                         /* m/m */
    double dispersion_m2_s;               /* longitudinal dispersion K as given; see above */
    int dispersion_given;                 /* dispersion_m2_s was in the file */
    char dispersion_formula[HL_NET_SHORT_MAX + 1]; /* formula id K comes from ("" = given or
                                                      none) */
    double shear_velocity_m_s;            /* u* = sqrt(g R S); 0 without width, depth, slope */
    double k_m2_s[HL_SEASON_COUNT];       /* K the forecast uses, by season; 0 = plug flow */
    double decay_per_h;                   /* first-order decay k, 1/h; 0 = conservative */
    int velocity_unverified;              /* velocities are assumptions, not measurements */
    char note[HL_NET_NOTE_MAX + 1];
    int line;
} hl_reach;

/* A reference place (kuitun-places.csv transcribed): coordinates and confidence as given. */
typedef struct hl_place {
    char id[HL_NET_ID_MAX + 1];
    char name[HL_NET_NAME_MAX + 1];       /* Chinese name as in the reference */
    char name_en[HL_NET_NAME_MAX + 1];
    char kind[HL_NET_SHORT_MAX + 1];
    int has_chainage;
    double chainage_km;                   /* when on the river; assumption */
    hl_location location;
    char source[HL_NET_NOTE_MAX + 1];
    int line;
} hl_place;

typedef struct hl_network {
    char river[HL_NET_NAME_MAX + 1];      /* river name */
    char km0[HL_NET_NAME_MAX + 1];        /* what km 0 is */
    char dispersion_formula[HL_NET_SHORT_MAX + 1]; /* plan-wide formula id, "" = none */
    hl_reach *reaches;     size_t n_reaches;   /* sorted by from_km, contiguous */
    hl_station *stations;  size_t n_stations;  /* sorted by chainage */
    hl_space *spaces;      size_t n_spaces;    /* sorted by chainage */
    hl_receptor *receptors;size_t n_receptors; /* sorted by chainage */
    hl_place *places;      size_t n_places;    /* file order */
} hl_network;

/* Load plan_dir/river.yaml (reaches, places, the plan-wide dispersion_formula),
 * stations.yaml, spaces.yaml, receptors.yaml. Every field is checked; unknown keys are
 * refused; ids must be unique across the four kinds; reaches must be contiguous from km 0;
 * every chainage must lie inside the reaches; every reach gets its K by season (hl_reach),
 * and a formula that cannot be used for a reach (unknown id, no width, depth or slope, both
 * dispersion_m2_s and dispersion_formula given) is an error naming the reach's line.
 * On error nothing is returned (*out untouched) and err holds "file:line: field: what".
 *  HL_EIO      a file is missing or unreadable (err names the path)
 *  HL_EPARSE   syntax, wrong field, unknown key, missing field, duplicate id, gap in reaches
 *  HL_EINVAL   a number outside its range
 *  HL_ETOOBIG  a string or list over its limit
 *  HL_ENOMEM */
int hl_network_load(const char *plan_dir, hl_network **out, char *err, size_t errlen);
/* Free; accepts NULL and *net == NULL; clears *net. */
void hl_network_destroy(hl_network **net);

/* Lookups by id; NULL when absent. Pointers live as long as the network. */
const hl_station *hl_network_station(const hl_network *net, const char *id);
const hl_space *hl_network_space(const hl_network *net, const char *id);
const hl_receptor *hl_network_receptor(const hl_network *net, const char *id);
const hl_place *hl_network_place(const hl_network *net, const char *id);
/* The reach containing km (from_km <= km < to_km; the last reach also takes its to_km).
 * NULL outside the network. */
const hl_reach *hl_network_reach_at(const hl_network *net, double km);
/* 1 when any reach's velocities are unverified assumptions. */
int hl_network_velocities_unverified(const hl_network *net);
/* Discharge Q = u A of a reach in a season, m³/s; 0 when the area is unknown. */
double hl_reach_discharge(const hl_reach *r, hl_season season);

#endif
