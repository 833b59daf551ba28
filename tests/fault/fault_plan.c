/* fault_plan.c — the seeded load and kill schedule of the fault test (fault_plan.h). */
#include "fault_plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"

const char *const fault_services[5] = {"alert", "playbook", "stock", "risk", "dispatch"};

void fault_rng_seed(fault_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t fault_rng_next(fault_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double fault_rng_unit(fault_rng *r)
{
    return (double)(fault_rng_next(r) >> 11) / 9007199254740992.0; /* 2^53 */
}

double fault_rng_range(fault_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * fault_rng_unit(r);
}

size_t fault_rng_below(fault_rng *r, size_t n)
{
    return n ? (size_t)(fault_rng_next(r) % n) : 0;
}

/* GB 3838-2002 items the readings use, by the name or alias playbooks/reference gives them,
 * with the loosest limit of the item in mg/L: class V of table 1 (it applies at every
 * class of section, so a value above it exceeds whatever class the station has), or the
 * single limit of table 3. A reading of 1.2 to 40 times this always exceeds. */
typedef struct fault__item {
    const char *name;
    double loosest_mg_l;
    int table3; /* only where the station selected it (stations.yaml extra_items) */
} fault__item;

static const fault__item fault__items[] = {
    {"petroleum", 1.0, 0},       /* 表1 item 21 石油类, class V */
    {"volatile phenol", 0.1, 0}, /* 表1 item 20 挥发酚, class V */
    {"NH3-N", 2.0, 0},           /* 表1 item 7 氨氮, class V */
    {"COD", 40.0, 0},            /* 表1 item 5 化学需氧量, class V */
    {"cyanide", 0.2, 0},         /* 表1 item 19 氰化物, class V */
    {"Cr6+", 0.1, 0},            /* 表1 item 17 铬(六价), class V */
    {"lead", 0.1, 0},            /* 表1 item 18 铅, class V */
    {"cadmium", 0.01, 0},        /* 表1 item 16 镉, class V */
    {"arsenic", 0.1, 0},         /* 表1 item 14 砷, class V */
    {"mercury", 0.001, 0},       /* 表1 item 15 汞, class V */
    {"benzene", 0.01, 1},        /* 表3 item 19 苯, single limit */
};

/* Monitoring stations of playbooks/kuitun/stations.yaml (docs/protocol.md) and whether
 * they selected 苯 from table 3. */
typedef struct fault__station {
    const char *id;
    int benzene;
} fault__station;

static const fault__station fault__stations[] = {
    {"st-laolongkou", 0}, {"st-dsz-down", 1}, {"st-xinqushou", 1},
    {"st-huanggou2", 1},  {"st-chepaizi", 1},
};

/* Substances of incident reports: GB 3838 names and aliases, and one the standard does not
 * list (kept as reported). */
static const char *const fault__substances[] = {"苯",     "benzene", "石油类", "petroleum",
                                                "挥发酚", "氨氮",    "甲苯",   "柴油"};

#define FAULT__N(a) (sizeof(a) / sizeof((a)[0]))
#define FAULT__MAX_KEYS (FAULT__N(fault__items) * FAULT__N(fault__stations))

typedef struct fault__key {
    const fault__station *st;
    const fault__item *it;
    unsigned readings; /* readings planned so far: the value rises with it */
} fault__key;

static size_t fault__keys(fault__key *keys)
{
    size_t n = 0;
    for (size_t s = 0; s < FAULT__N(fault__stations); s++)
        for (size_t i = 0; i < FAULT__N(fault__items); i++) {
            if (fault__items[i].table3 && !fault__stations[s].benzene)
                continue;
            keys[n++] = (fault__key){&fault__stations[s], &fault__items[i], 0};
        }
    return n;
}

static int fault__params_ok(const fault_plan_params *p)
{
    return isfinite(p->seconds) && p->seconds > 0 && p->seconds <= FAULT_SECONDS_MAX &&
           isfinite(p->rate) && p->rate > 0 && p->rate <= FAULT_RATE_MAX &&
           isfinite(p->report_share) && p->report_share >= 0 && p->report_share <= 1 &&
           p->burst <= FAULT_BURST_MAX && isfinite(p->max_down_s) && p->max_down_s > 0 &&
           p->n_units <= FAULT_MAX_UNITS && (p->n_units == 0 || p->units);
}

static size_t fault__burst(const fault_plan_params *p)
{
    return p->burst ? p->burst : 1;
}

/* When burst k goes out. */
static double fault__burst_at(const fault_plan_params *p, size_t k)
{
    return (double)(k * fault__burst(p)) / p->rate;
}

static void fault__make_msgs(const fault_plan_params *p, fault_rng *r, fault__key *keys,
                             size_t nkeys, fault_plan *out)
{
    uint32_t tag = (uint32_t)(p->seed ^ (p->seed >> 32));
    size_t nreadings = 0, nreports = 0;
    for (size_t i = 0; i < out->n_msgs; i++) {
        fault_msg *m = &out->msgs[i];
        m->at_s = fault__burst_at(p, i / fault__burst(p));
        if (fault_rng_unit(r) < p->report_share) {
            m->kind = FAULT_MSG_REPORT;
            snprintf(m->msg_id, sizeof m->msg_id, "fz%08x-p%06zu", tag, ++nreports);
            snprintf(m->report_id, sizeof m->report_id, "rp%08x-%06zu", tag, nreports);
            m->substance = fault__substances[fault_rng_below(r, FAULT__N(fault__substances))];
            m->chainage_km = floor(fault_rng_range(r, 2.0, 120.0) * 10.0) / 10.0;
            m->mass_kg = floor(fault_rng_range(r, 50.0, 20000.0));
            m->duration_s = floor(fault_rng_range(r, 0.0, 7200.0));
            /* Started up to half an hour before it is reported. */
            m->measured_offset_ms =
                (int64_t)(m->at_s * 1000.0) - (int64_t)fault_rng_range(r, 0.0, 1800000.0);
            m->reporter_unit = p->n_units && fault_rng_unit(r) < 0.8
                                   ? p->units[fault_rng_below(r, p->n_units)]
                                   : "";
        } else {
            m->kind = FAULT_MSG_READING;
            snprintf(m->msg_id, sizeof m->msg_id, "fz%08x-r%06zu", tag, ++nreadings);
            fault__key *k = &keys[fault_rng_below(r, nkeys)];
            m->station_id = k->st->id;
            m->parameter = k->it->name;
            /* Rising with each reading of the key (warning levels go up, alerts follow),
             * always above the loosest limit. */
            double mult = 1.2 + 0.6 * k->readings++ + fault_rng_range(r, 0.0, 0.5);
            if (mult > 40.0)
                mult = 40.0 - fault_rng_range(r, 0.0, 1.0);
            m->value_mg_l = k->it->loosest_mg_l * mult;
            m->measured_offset_ms = (int64_t)(m->at_s * 1000.0);
        }
    }
    size_t used = 0;
    for (size_t i = 0; i < nkeys; i++)
        used += keys[i].readings > 0;
    out->n_keys = used;
}

static void fault__make_kills(const fault_plan_params *p, fault_rng *r, fault_plan *out)
{
    size_t order[5] = {0, 1, 2, 3, 4};
    for (size_t i = 4; i > 0; i--) {
        size_t j = fault_rng_below(r, i + 1);
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    double slot = p->seconds / (double)out->n_kills;
    double gap = fault__burst_at(p, 1);
    for (size_t i = 0; i < out->n_kills; i++) {
        fault_kill *k = &out->kills[i];
        /* Killed in the first 60% of its slot, back within 35% of a slot at most, so one
         * process is down at a time and the next kill finds everything up; just after a
         * burst went out, when there is one in that part of the slot. */
        double lo = slot * ((double)i + 0.05), hi = slot * ((double)i + 0.6);
        double first = ceil(lo / gap), last = floor(hi / gap);
        double at = first <= last
                        ? gap * (first + (double)fault_rng_below(r, (size_t)(last - first) + 1))
                        : fault_rng_range(r, lo, hi);
        k->at_s = at + fault_rng_range(r, 0.0, FAULT_KILL_LAG_S);
        double down = fault_rng_range(r, 0.1, p->max_down_s);
        k->down_s = down < slot * 0.35 ? down : slot * 0.35;
        if (i < 5) {
            snprintf(k->target, sizeof k->target, "%s", fault_services[order[i]]);
            k->service = 1;
        } else if (p->n_units && fault_rng_below(r, 3) == 0) {
            snprintf(k->target, sizeof k->target, "hazpartner-%.*s", FAULT_ID_MAX,
                     p->units[fault_rng_below(r, p->n_units)]);
            k->service = 0;
        } else {
            snprintf(k->target, sizeof k->target, "%s", fault_services[fault_rng_below(r, 5)]);
            k->service = 1;
        }
    }
}

int fault_plan_make(const fault_plan_params *p, fault_plan *out)
{
    memset(out, 0, sizeof *out);
    if (!fault__params_ok(p))
        return HL_EINVAL;
    double nmsgs = ceil(p->seconds * p->rate);
    if (nmsgs > FAULT_MAX_MSGS || p->kills > FAULT_MAX_KILLS)
        return HL_ETOOBIG;
    out->n_msgs = (size_t)nmsgs;
    out->n_kills = p->kills;
    out->msgs = calloc(out->n_msgs ? out->n_msgs : 1, sizeof *out->msgs);
    out->kills = calloc(out->n_kills ? out->n_kills : 1, sizeof *out->kills);
    if (!out->msgs || !out->kills) {
        fault_plan_free(out);
        return HL_ENOMEM;
    }
    fault__key keys[FAULT__MAX_KEYS];
    size_t nkeys = fault__keys(keys);
    /* Two streams, so changing the number of kills does not change the messages. */
    fault_rng rm, rk;
    fault_rng_seed(&rm, p->seed);
    fault_rng_seed(&rk, p->seed ^ 0x6B696C6C6B696C6CULL);
    fault__make_msgs(p, &rm, keys, nkeys, out);
    if (out->n_kills)
        fault__make_kills(p, &rk, out);
    return 0;
}

void fault_plan_free(fault_plan *p)
{
    if (!p)
        return;
    free(p->msgs);
    free(p->kills);
    memset(p, 0, sizeof *p);
}
