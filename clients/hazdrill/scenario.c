/* scenario.c — load and check a drill scenario and the catalogue of ids it names. */
#include "scenario.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_yaml.h"

static const char *const drill__expect_names[DRILL_EXPECT_KIND_COUNT] = {
    "incident_opened",      "intercept_before_front",   "receptor_owners_tasked",
    "counterpart_notified", "all_acknowledged",         "materials_covered",
    "delivered_once",       "one_incident_per_release",
};

static const char *const drill__fact_names[DRILL_FACT_COUNT] = {
    "deaths",
    "poisoned_or_seriously_injured",
    "evacuated",
    "direct_economic_loss_yuan",
    "drinking_water_interruption",
    "cross_boundary",
    "ecology",
    "radiation",
};

const char *drill_fact_name(drill_fact f)
{
    return (unsigned)f < DRILL_FACT_COUNT ? drill__fact_names[f] : NULL;
}

const char *drill_expect_kind_name(drill_expect_kind k)
{
    return (unsigned)k < DRILL_EXPECT_KIND_COUNT ? drill__expect_names[k] : NULL;
}

int drill_expect_kind_parse(const char *s, drill_expect_kind *out)
{
    for (int i = 0; i < DRILL_EXPECT_KIND_COUNT; i++)
        if (strcmp(s, drill__expect_names[i]) == 0) {
            *out = (drill_expect_kind)i;
            return 0;
        }
    return HL_ENOTFOUND;
}

/* ---------------------------------------------------------------- offsets */

static int drill__two_digits(const char *p, int max, int *out)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return HL_EINVAL;
    *out = (p[0] - '0') * 10 + (p[1] - '0');
    return *out <= max ? 0 : HL_EINVAL;
}

int drill_offset_parse(const char *s, double *out_s)
{
    if (!s)
        return HL_EINVAL;
    if (*s == '+')
        s++;
    /* Hours take 1..3 digits so a week-long drill (168 h) can be written. */
    int h = 0, nd = 0;
    while (*s >= '0' && *s <= '9' && nd < 3) {
        h = h * 10 + (*s - '0');
        s++;
        nd++;
    }
    if (nd == 0 || *s != ':' || h > 168)
        return HL_EINVAL;
    s++;
    int m = 0, sec = 0;
    if (drill__two_digits(s, 59, &m) < 0)
        return HL_EINVAL;
    s += 2;
    if (*s == ':') {
        if (drill__two_digits(s + 1, 59, &sec) < 0)
            return HL_EINVAL;
        s += 3;
    }
    if (*s != '\0')
        return HL_EINVAL;
    *out_s = h * 3600.0 + m * 60.0 + sec;
    return 0;
}

int drill_offset_format(double s, char *buf, size_t n)
{
    if (n < 16)
        return HL_ETOOBIG;
    char sign = s < 0 ? '-' : '+';
    double a = fabs(s);
    if (a > 999.0 * 3600.0)
        a = 999.0 * 3600.0;
    long t = (long)llround(a);
    snprintf(buf, n, "%c%02ld:%02ld:%02ld", sign, t / 3600, (t / 60) % 60, t % 60);
    return 0;
}

/* ---------------------------------------------------------------- catalogue */

int drill_catalog_has_station(const drill_catalog *c, const char *id)
{
    for (size_t i = 0; i < c->n_stations; i++)
        if (strcmp(c->stations[i], id) == 0)
            return 1;
    return 0;
}

int drill_catalog_has_unit(const drill_catalog *c, const char *id)
{
    for (size_t i = 0; i < c->n_units; i++)
        if (strcmp(c->units[i], id) == 0)
            return 1;
    return 0;
}

int drill_catalog_has_source(const drill_catalog *c, const char *id)
{
    for (size_t i = 0; i < c->n_sources; i++)
        if (strcmp(c->sources[i], id) == 0)
            return 1;
    return 0;
}

double drill_catalog_station_km(const drill_catalog *c, const char *id)
{
    for (size_t i = 0; i < c->n_stations; i++)
        if (strcmp(c->stations[i], id) == 0)
            return c->station_km[i];
    return NAN;
}

const char *drill_catalog_unit_side(const drill_catalog *c, const char *id)
{
    for (size_t i = 0; i < c->n_units; i++)
        if (strcmp(c->units[i], id) == 0)
            return c->unit_sides[i];
    return "";
}

/* Open plan_dir/file and return the sequence under key. */
static int drill__cat_list(const char *plan_dir, const char *file, const char *key,
                           hl_yaml_doc **doc, const hl_yaml_node **seq, char *err, size_t errlen)
{
    char path[1024];
    int w = snprintf(path, sizeof path, "%s/%s", plan_dir, file);
    if (w < 0 || (size_t)w >= sizeof path)
        return HL_ETOOBIG;
    int rc = hl_yaml_load(path, doc, err, errlen);
    if (rc < 0)
        return rc;
    if ((rc = hl_yaml_seq(*doc, (*doc)->root, key, 1, seq, err, errlen)) < 0) {
        hl_yaml_free(doc);
        return rc;
    }
    if ((*seq)->n > DRILL_CAT_MAX) {
        hl_yaml_errf(*doc, *seq, err, errlen, "%s: %zu entries, at most %d", key, (*seq)->n,
                     DRILL_CAT_MAX);
        hl_yaml_free(doc);
        return HL_ETOOBIG;
    }
    return 0;
}

static int drill__cat_ids(const char *plan_dir, const char *file, const char *key,
                          char (*ids)[HL_ID_MAX + 1], size_t *n, char *err, size_t errlen)
{
    hl_yaml_doc *doc = NULL;
    const hl_yaml_node *seq = NULL;
    int rc = drill__cat_list(plan_dir, file, key, &doc, &seq, err, errlen);
    if (rc < 0)
        return rc;
    *n = 0;
    for (size_t i = 0; i < seq->n && rc == 0; i++) {
        rc = hl_yaml_str(doc, seq->items[i], "id", 1, ids[i], HL_ID_MAX + 1, err, errlen);
        if (rc == 0)
            (*n)++;
    }
    hl_yaml_free(&doc);
    return rc;
}

int drill_catalog_load(const char *plan_dir, drill_catalog **out, char *err, size_t errlen)
{
    *out = NULL;
    drill_catalog *c = calloc(1, sizeof *c);
    if (!c)
        return HL_ENOMEM;
    hl_yaml_doc *doc = NULL;
    const hl_yaml_node *seq = NULL;
    int rc = drill__cat_list(plan_dir, "stations.yaml", "stations", &doc, &seq, err, errlen);
    if (rc == 0) {
        /* The chainage tells which stations lie below a reported release
         * (one_incident_per_release); a plan may leave it out. */
        for (size_t i = 0; i < seq->n && rc == 0; i++) {
            double km = NAN;
            rc = hl_yaml_str(doc, seq->items[i], "id", 1, c->stations[i], HL_ID_MAX + 1, err,
                             errlen);
            if (rc == 0)
                rc = hl_yaml_num(doc, seq->items[i], "chainage_km", 0, 0, 1e5, &km, err, errlen);
            c->station_km[i] = km;
            if (rc == 0)
                c->n_stations++;
        }
        hl_yaml_free(&doc);
    }
    if (rc == 0)
        rc = drill__cat_ids(plan_dir, "risk_sources.yaml", "sources", c->sources, &c->n_sources,
                            err, errlen);
    if (rc == 0 &&
        (rc = drill__cat_list(plan_dir, "units.yaml", "units", &doc, &seq, err, errlen)) == 0) {
        for (size_t i = 0; i < seq->n && rc == 0; i++) {
            const hl_yaml_node *u = seq->items[i];
            rc = hl_yaml_str(doc, u, "id", 1, c->units[i], HL_ID_MAX + 1, err, errlen);
            if (rc == 0)
                rc = hl_yaml_str(doc, u, "side", 0, c->unit_sides[i], sizeof c->unit_sides[i], err,
                                 errlen);
            if (rc == 0)
                c->n_units++;
        }
        hl_yaml_free(&doc);
    }
    if (rc == 0 && (rc = drill__cat_list(plan_dir, "receptors.yaml", "receptors", &doc, &seq, err,
                                         errlen)) == 0) {
        for (size_t i = 0; i < seq->n && rc == 0; i++) {
            const hl_yaml_node *m = seq->items[i];
            drill_receptor *r = &c->receptors[i];
            double km = 0;
            rc = hl_yaml_str(doc, m, "id", 1, r->id, sizeof r->id, err, errlen);
            if (rc == 0)
                rc = hl_yaml_str(doc, m, "name", 0, r->name, sizeof r->name, err, errlen);
            if (rc == 0)
                rc = hl_yaml_str(doc, m, "unit", 1, r->unit_id, sizeof r->unit_id, err, errlen);
            if (rc == 0)
                rc = hl_yaml_str(doc, m, "jurisdiction", 0, r->jurisdiction, sizeof r->jurisdiction,
                                 err, errlen);
            if (rc == 0)
                rc = hl_yaml_bool(doc, m, "drinking_source", 0, &r->drinking_source, err, errlen);
            if (rc == 0)
                rc = hl_yaml_num(doc, m, "chainage_km", 0, 0, 1e5, &km, err, errlen);
            r->chainage_km = km;
            if (rc == 0)
                c->n_receptors++;
        }
        hl_yaml_free(&doc);
    }
    if (rc < 0) {
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* ---------------------------------------------------------------- scenario */

typedef struct drill_ld {
    const hl_yaml_doc *d;
    const drill_catalog *cat;
    char *err;
    size_t errlen;
} drill_ld;

/* A required or optional drill offset field. */
static int drill__offset_field(drill_ld *L, const hl_yaml_node *map, const char *key, int required,
                               double *out)
{
    char text[32] = "";
    int rc = hl_yaml_str(L->d, map, key, required, text, sizeof text, L->err, L->errlen);
    if (rc < 0)
        return rc == HL_ETOOBIG ? HL_EPARSE : rc;
    if (!text[0])
        return 0;
    if (drill_offset_parse(text, out) < 0) {
        const hl_yaml_node *at = hl_yaml_get(map, key);
        hl_yaml_errf(L->d, at ? at : map, L->err, L->errlen,
                     "%s: '%s' is not a drill offset \"HH:MM\" or \"HH:MM:SS\"", key, text);
        return HL_EINVAL;
    }
    return 0;
}

static int drill__check_station(drill_ld *L, const hl_yaml_node *map, const char *field,
                                const char *id)
{
    if (drill_catalog_has_station(L->cat, id))
        return 0;
    const hl_yaml_node *at = hl_yaml_get(map, "station");
    return hl_yaml_errf(L->d, at ? at : map, L->err, L->errlen,
                        "%s: unknown station '%s' (not in the plan's stations.yaml)", field, id);
}

static int drill__load_units(drill_ld *L, drill_scenario *s)
{
    static const char *const keys[] = {"id", "ack_delay_s", NULL};
    const hl_yaml_node *seq = NULL;
    int rc = hl_yaml_seq(L->d, L->d->root, "units", 1, &seq, L->err, L->errlen);
    if (rc < 0)
        return rc;
    if (seq->n > DRILL_MAX_UNITS) {
        hl_yaml_errf(L->d, seq, L->err, L->errlen, "units: %zu units, at most %d", seq->n,
                     DRILL_MAX_UNITS);
        return HL_ETOOBIG;
    }
    for (size_t i = 0; i < seq->n; i++) {
        const hl_yaml_node *m = seq->items[i];
        drill_unit *u = &s->units[i];
        u->line = m->line;
        u->ack_delay_s = 0;
        if (m->kind != HL_YAML_MAP)
            return hl_yaml_errf(L->d, m, L->err, L->errlen, "units[%zu]: expected a mapping", i);
        if ((rc = hl_yaml_only(L->d, m, keys, L->err, L->errlen)) < 0 ||
            (rc = hl_yaml_str(L->d, m, "id", 1, u->id, sizeof u->id, L->err, L->errlen)) < 0 ||
            (rc = hl_yaml_num(L->d, m, "ack_delay_s", 0, -1, DRILL_MAX_ACK_DELAY_S, &u->ack_delay_s,
                              L->err, L->errlen)) < 0)
            return rc;
        if (!drill_catalog_has_unit(L->cat, u->id))
            return hl_yaml_errf(L->d, hl_yaml_get(m, "id"), L->err, L->errlen,
                                "units[%zu].id: unknown unit '%s' (not in the plan's units.yaml)",
                                i, u->id);
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->units[j].id, u->id) == 0)
                return hl_yaml_errf(L->d, m, L->err, L->errlen,
                                    "units[%zu].id: '%s' listed twice (first on line %d)", i, u->id,
                                    s->units[j].line);
        s->n_units++;
    }
    return 0;
}

static int drill__load_reading(drill_ld *L, const hl_yaml_node *m, size_t i, drill_inject *in)
{
    static const char *const keys[] = {"at", "kind", "station", "parameter", "value", "unit", NULL};
    static const char *const units[] = {"mg/L", "ug/L", "µg/L", "μg/L", "ng/L", NULL};
    int rc;
    if ((rc = hl_yaml_only(L->d, m, keys, L->err, L->errlen)) < 0 ||
        (rc = hl_yaml_str(L->d, m, "station", 1, in->station_id, sizeof in->station_id, L->err,
                          L->errlen)) < 0 ||
        (rc = hl_yaml_str(L->d, m, "parameter", 1, in->parameter, sizeof in->parameter, L->err,
                          L->errlen)) < 0 ||
        (rc = hl_yaml_num(L->d, m, "value", 1, 0, DRILL_MAX_VALUE, &in->value, L->err, L->errlen)) <
            0 ||
        (rc = hl_yaml_str(L->d, m, "unit", 1, in->unit, sizeof in->unit, L->err, L->errlen)) < 0)
        return rc;
    char field[48];
    snprintf(field, sizeof field, "injects[%zu].station", i);
    if ((rc = drill__check_station(L, m, field, in->station_id)) < 0)
        return rc;
    for (size_t k = 0; units[k]; k++)
        if (strcmp(units[k], in->unit) == 0)
            return 0;
    return hl_yaml_errf(L->d, hl_yaml_get(m, "unit"), L->err, L->errlen,
                        "injects[%zu].unit: '%s' is not one of mg/L, ug/L, µg/L, ng/L", i,
                        in->unit);
}

/* The "facts" mapping of inject i (keys: the IncidentFacts field names, and basis). Each fact
 * is optional, a fact left out is "not known yet"; the mapping gives at least one. Keywords
 * are checked for their form here and against the grading table by the alert service. */
static int drill__load_facts(drill_ld *L, const hl_yaml_node *m, size_t i, int required,
                             drill_facts_in *out)
{
    /* The fact names, then basis: the keys a facts mapping may hold. */
    const char *keys[DRILL_FACT_COUNT + 2];
    for (int k = 0; k < DRILL_FACT_COUNT; k++)
        keys[k] = drill__fact_names[k];
    keys[DRILL_FACT_COUNT] = "basis";
    keys[DRILL_FACT_COUNT + 1] = NULL;
    const hl_yaml_node *fm = hl_yaml_get(m, "facts");
    if (!fm)
        return required ? hl_yaml_errf(L->d, m, L->err, L->errlen,
                                       "injects[%zu].facts: missing (a facts inject gives at "
                                       "least one fact)",
                                       i)
                        : 0;
    if (fm->kind != HL_YAML_MAP)
        return hl_yaml_errf(L->d, fm, L->err, L->errlen,
                            "injects[%zu].facts: expected a mapping (deaths, evacuated, ...)", i);
    int rc = hl_yaml_only(L->d, fm, keys, L->err, L->errlen);
    for (int k = 0; rc == 0 && k < DRILL_FACT_COUNT; k++) {
        const hl_yaml_node *v = hl_yaml_get(fm, keys[k]);
        if (!v)
            continue;
        if (k < DRILL_FACT_NUMERIC) {
            int loss = k == DRILL_FACT_LOSS;
            rc = hl_yaml_num(L->d, fm, keys[k], 1, 0, loss ? DRILL_MAX_LOSS_YUAN : DRILL_MAX_COUNT,
                             &out->num[k], L->err, L->errlen);
            /* People are counted, not measured. */
            if (rc == 0 && !loss && floor(out->num[k]) != out->num[k])
                rc = hl_yaml_errf(L->d, v, L->err, L->errlen,
                                  "injects[%zu].facts.%s: %g is not a whole number of people", i,
                                  keys[k], out->num[k]);
        } else {
            rc = hl_yaml_str(L->d, fm, keys[k], 1, out->cat[k], sizeof out->cat[k], L->err,
                             L->errlen);
            if (rc == 0 && hl_id_check(out->cat[k]) < 0)
                rc = hl_yaml_errf(L->d, v, L->err, L->errlen,
                                  "injects[%zu].facts.%s: '%s' is not a keyword (none, town, "
                                  "county, ...)",
                                  i, keys[k], out->cat[k]);
        }
        if (rc == 0) {
            out->has[k] = 1;
            out->n++;
        }
    }
    if (rc == 0)
        rc = hl_yaml_str(L->d, fm, "basis", 0, out->basis, sizeof out->basis, L->err, L->errlen);
    if (rc == 0 && out->n == 0)
        rc = hl_yaml_errf(L->d, fm, L->err, L->errlen,
                          "injects[%zu].facts: gives no fact (deaths, evacuated, "
                          "drinking_water_interruption, ...)",
                          i);
    return rc;
}

static int drill__load_facts_inject(drill_ld *L, const hl_yaml_node *m, size_t i, drill_inject *in)
{
    static const char *const keys[] = {"at", "kind", "report", "facts", NULL};
    int rc;
    if ((rc = hl_yaml_only(L->d, m, keys, L->err, L->errlen)) < 0 ||
        (rc = hl_yaml_str(L->d, m, "report", 1, in->report_id, sizeof in->report_id, L->err,
                          L->errlen)) < 0)
        return rc;
    return drill__load_facts(L, m, i, 1, &in->facts);
}

static int drill__load_report(drill_ld *L, const hl_yaml_node *m, size_t i, drill_inject *in)
{
    static const char *const keys[] = {
        "at",      "kind",       "report_id", "released_at", "source", "substance", "chainage_km",
        "mass_kg", "duration_s", "reporter",  "description", "facts",  NULL};
    int rc;
    in->released_at_s = in->at_s;
    if ((rc = hl_yaml_only(L->d, m, keys, L->err, L->errlen)) < 0 ||
        (rc = drill__offset_field(L, m, "released_at", 0, &in->released_at_s)) < 0 ||
        (rc = hl_yaml_str(L->d, m, "report_id", 1, in->report_id, sizeof in->report_id, L->err,
                          L->errlen)) < 0 ||
        (rc = hl_yaml_str(L->d, m, "source", 0, in->source_id, sizeof in->source_id, L->err,
                          L->errlen)) < 0 ||
        (rc = hl_yaml_str(L->d, m, "substance", 1, in->substance, sizeof in->substance, L->err,
                          L->errlen)) < 0 ||
        (rc = hl_yaml_num(L->d, m, "chainage_km", 1, 0, 2000, &in->chainage_km, L->err,
                          L->errlen)) < 0 ||
        (rc = hl_yaml_num(L->d, m, "mass_kg", 0, 0, DRILL_MAX_MASS_KG, &in->mass_kg, L->err,
                          L->errlen)) < 0 ||
        (rc = hl_yaml_num(L->d, m, "duration_s", 0, 0, DRILL_MAX_DRILL_S, &in->duration_s, L->err,
                          L->errlen)) < 0 ||
        (rc = hl_yaml_str(L->d, m, "reporter", 1, in->reporter_unit, sizeof in->reporter_unit,
                          L->err, L->errlen)) < 0 ||
        (rc = hl_yaml_str(L->d, m, "description", 0, in->description, sizeof in->description,
                          L->err, L->errlen)) < 0)
        return rc;
    if (in->released_at_s > in->at_s)
        return hl_yaml_errf(L->d, hl_yaml_get(m, "released_at"), L->err, L->errlen,
                            "injects[%zu].released_at: a release cannot be reported before it "
                            "begins (released_at is after at)",
                            i);
    if (hl_id_check(in->report_id) < 0)
        return hl_yaml_errf(L->d, hl_yaml_get(m, "report_id"), L->err, L->errlen,
                            "injects[%zu].report_id: '%s' is not an id ([A-Za-z0-9._:-])", i,
                            in->report_id);
    if (in->source_id[0] && !drill_catalog_has_source(L->cat, in->source_id))
        return hl_yaml_errf(L->d, hl_yaml_get(m, "source"), L->err, L->errlen,
                            "injects[%zu].source: unknown risk source '%s' (not in the plan's "
                            "risk_sources.yaml)",
                            i, in->source_id);
    if (!drill_catalog_has_unit(L->cat, in->reporter_unit))
        return hl_yaml_errf(L->d, hl_yaml_get(m, "reporter"), L->err, L->errlen,
                            "injects[%zu].reporter: unknown unit '%s' (not in the plan's "
                            "units.yaml)",
                            i, in->reporter_unit);
    return drill__load_facts(L, m, i, 0, &in->facts);
}

static int drill__load_injects(drill_ld *L, drill_scenario *s)
{
    const hl_yaml_node *seq = NULL;
    int rc = hl_yaml_seq(L->d, L->d->root, "injects", 1, &seq, L->err, L->errlen);
    if (rc < 0)
        return rc;
    if (seq->n == 0)
        return hl_yaml_errf(L->d, seq, L->err, L->errlen, "injects: a drill needs at least one");
    if (seq->n > DRILL_MAX_INJECTS) {
        hl_yaml_errf(L->d, seq, L->err, L->errlen, "injects: %zu injects, at most %d", seq->n,
                     DRILL_MAX_INJECTS);
        return HL_ETOOBIG;
    }
    for (size_t i = 0; i < seq->n; i++) {
        const hl_yaml_node *m = seq->items[i];
        drill_inject *in = &s->injects[i];
        in->line = m->line;
        if (m->kind != HL_YAML_MAP)
            return hl_yaml_errf(L->d, m, L->err, L->errlen, "injects[%zu]: expected a mapping", i);
        char kind[16] = "";
        if ((rc = drill__offset_field(L, m, "at", 1, &in->at_s)) < 0 ||
            (rc = hl_yaml_str(L->d, m, "kind", 1, kind, sizeof kind, L->err, L->errlen)) < 0)
            return rc == HL_ETOOBIG ? HL_EPARSE : rc;
        if (in->at_s > s->duration_s)
            return hl_yaml_errf(L->d, hl_yaml_get(m, "at"), L->err, L->errlen,
                                "injects[%zu].at: after the end of the drill (duration)", i);
        if (strcmp(kind, "reading") == 0) {
            in->kind = DRILL_INJECT_READING;
            rc = drill__load_reading(L, m, i, in);
        } else if (strcmp(kind, "report") == 0) {
            in->kind = DRILL_INJECT_REPORT;
            rc = drill__load_report(L, m, i, in);
        } else if (strcmp(kind, "facts") == 0) {
            in->kind = DRILL_INJECT_FACTS;
            rc = drill__load_facts_inject(L, m, i, in);
        } else {
            rc = hl_yaml_errf(L->d, hl_yaml_get(m, "kind"), L->err, L->errlen,
                              "injects[%zu].kind: '%s' is not 'reading', 'report' or 'facts'", i,
                              kind);
        }
        if (rc < 0)
            return rc;
        s->n_injects++;
    }
    /* Stable insertion sort by time: the file may list injects in any order, the drill
     * plays them in time order, ties in file order. */
    for (size_t i = 1; i < s->n_injects; i++) {
        drill_inject tmp = s->injects[i];
        size_t j = i;
        while (j > 0 && s->injects[j - 1].at_s > tmp.at_s) {
            s->injects[j] = s->injects[j - 1];
            j--;
        }
        s->injects[j] = tmp;
    }
    /* Report ids are unique, and facts name a report played before them (the incident they
     * are about must exist when they are sent). */
    for (size_t i = 0; i < s->n_injects; i++) {
        const drill_inject *in = &s->injects[i];
        if (in->kind == DRILL_INJECT_READING)
            continue;
        const hl_yaml_node *at = seq;
        for (size_t k = 0; k < seq->n; k++)
            if (seq->items[k]->line == in->line)
                at = seq->items[k];
        size_t k = 0;
        while (k < i && !(s->injects[k].kind == DRILL_INJECT_REPORT &&
                          strcmp(s->injects[k].report_id, in->report_id) == 0))
            k++;
        if (in->kind == DRILL_INJECT_REPORT && k < i)
            return hl_yaml_errf(L->d, at, L->err, L->errlen,
                                "report_id: '%s' is used twice (first on line %d)", in->report_id,
                                s->injects[k].line);
        if (in->kind == DRILL_INJECT_FACTS && k == i)
            return hl_yaml_errf(L->d, at, L->err, L->errlen,
                                "report: facts name report '%s', which no report inject at or "
                                "before that time has",
                                in->report_id);
    }
    return 0;
}

static int drill__load_expect(drill_ld *L, const hl_yaml_node *m, size_t i, drill_expect *e)
{
    static const char *const k_opened[] = {"kind", "station", "parameter", "within", NULL};
    static const char *const k_intercept[] = {"kind", "space", "margin", NULL};
    static const char *const k_plain[] = {"kind", NULL};
    static const char *const k_counter[] = {"kind", "side", NULL};
    static const char *const k_ack[] = {"kind", "within", NULL};
    char kind[40] = "";
    int rc = hl_yaml_str(L->d, m, "kind", 1, kind, sizeof kind, L->err, L->errlen);
    if (rc < 0)
        return rc == HL_ETOOBIG ? HL_EPARSE : rc;
    if (drill_expect_kind_parse(kind, &e->kind) < 0) {
        char all[256] = "";
        size_t used = 0;
        for (int k = 0; k < DRILL_EXPECT_KIND_COUNT && used < sizeof all; k++) {
            int w = snprintf(all + used, sizeof all - used, "%s%s", k ? ", " : "",
                             drill__expect_names[k]);
            used += w > 0 ? (size_t)w : 0;
        }
        return hl_yaml_errf(L->d, hl_yaml_get(m, "kind"), L->err, L->errlen,
                            "expectations[%zu].kind: unknown kind '%s' (one of %s)", i, kind, all);
    }
    switch (e->kind) {
    case DRILL_EXPECT_INCIDENT_OPENED:
        if ((rc = hl_yaml_only(L->d, m, k_opened, L->err, L->errlen)) < 0 ||
            (rc = hl_yaml_str(L->d, m, "station", 1, e->station_id, sizeof e->station_id, L->err,
                              L->errlen)) < 0 ||
            (rc = hl_yaml_str(L->d, m, "parameter", 0, e->parameter, sizeof e->parameter, L->err,
                              L->errlen)) < 0 ||
            (rc = drill__offset_field(L, m, "within", 1, &e->within_s)) < 0)
            return rc;
        {
            char field[48];
            snprintf(field, sizeof field, "expectations[%zu].station", i);
            return drill__check_station(L, m, field, e->station_id);
        }
    case DRILL_EXPECT_INTERCEPT_BEFORE_FRONT:
        if ((rc = hl_yaml_only(L->d, m, k_intercept, L->err, L->errlen)) < 0 ||
            (rc = hl_yaml_str(L->d, m, "space", 0, e->space_id, sizeof e->space_id, L->err,
                              L->errlen)) < 0)
            return rc;
        return drill__offset_field(L, m, "margin", 0, &e->margin_s);
    case DRILL_EXPECT_COUNTERPART_NOTIFIED:
        if ((rc = hl_yaml_only(L->d, m, k_counter, L->err, L->errlen)) < 0 ||
            (rc = hl_yaml_str(L->d, m, "side", 0, e->side, sizeof e->side, L->err, L->errlen)) < 0)
            return rc;
        if (e->side[0] && strcmp(e->side, "corps") != 0 && strcmp(e->side, "local") != 0)
            return hl_yaml_errf(L->d, hl_yaml_get(m, "side"), L->err, L->errlen,
                                "expectations[%zu].side: '%s' is not 'corps' or 'local'", i,
                                e->side);
        return 0;
    case DRILL_EXPECT_ALL_ACKNOWLEDGED:
        if ((rc = hl_yaml_only(L->d, m, k_ack, L->err, L->errlen)) < 0)
            return rc;
        return drill__offset_field(L, m, "within", 0, &e->within_s);
    default:
        return hl_yaml_only(L->d, m, k_plain, L->err, L->errlen);
    }
}

static int drill__load_expects(drill_ld *L, drill_scenario *s)
{
    const hl_yaml_node *seq = NULL;
    int rc = hl_yaml_seq(L->d, L->d->root, "expectations", 1, &seq, L->err, L->errlen);
    if (rc < 0)
        return rc;
    if (seq->n > DRILL_MAX_EXPECTS) {
        hl_yaml_errf(L->d, seq, L->err, L->errlen, "expectations: %zu, at most %d", seq->n,
                     DRILL_MAX_EXPECTS);
        return HL_ETOOBIG;
    }
    for (size_t i = 0; i < seq->n; i++) {
        const hl_yaml_node *m = seq->items[i];
        drill_expect *e = &s->expects[i];
        e->line = m->line;
        if (m->kind != HL_YAML_MAP)
            return hl_yaml_errf(L->d, m, L->err, L->errlen, "expectations[%zu]: expected a mapping",
                                i);
        if ((rc = drill__load_expect(L, m, i, e)) < 0)
            return rc;
        s->n_expects++;
    }
    return 0;
}

static int drill__load_head(drill_ld *L, drill_scenario *s)
{
    static const char *const keys[] = {"name",         "description", "start", "scale",
                                       "duration",     "season",      "units", "injects",
                                       "expectations", NULL};
    const hl_yaml_node *root = L->d->root;
    if (!root || root->kind != HL_YAML_MAP)
        return hl_yaml_errf(L->d, root, L->err, L->errlen,
                            "the scenario must be a mapping (name, start, scale, ...)");
    int rc;
    if ((rc = hl_yaml_only(L->d, root, keys, L->err, L->errlen)) < 0 ||
        (rc = hl_yaml_str(L->d, root, "name", 1, s->name, sizeof s->name, L->err, L->errlen)) < 0 ||
        (rc = hl_yaml_str(L->d, root, "description", 0, s->description, sizeof s->description,
                          L->err, L->errlen)) < 0 ||
        (rc = hl_yaml_str(L->d, root, "start", 1, s->start_text, sizeof s->start_text, L->err,
                          L->errlen)) < 0 ||
        (rc = hl_yaml_num(L->d, root, "scale", 1, 0.001, HL_CLOCK_MAX_SCALE, &s->scale, L->err,
                          L->errlen)) < 0 ||
        (rc = hl_yaml_str(L->d, root, "season", 0, s->season, sizeof s->season, L->err,
                          L->errlen)) < 0 ||
        (rc = drill__offset_field(L, root, "duration", 1, &s->duration_s)) < 0)
        return rc;
    if (hl_time_parse(s->start_text, &s->start_ms) < 0)
        return hl_yaml_errf(L->d, hl_yaml_get(root, "start"), L->err, L->errlen,
                            "start: '%s' is not ISO 8601 with an offset "
                            "(e.g. 2026-07-15T10:00:00+08:00)",
                            s->start_text);
    if (s->duration_s <= 0)
        return hl_yaml_errf(L->d, hl_yaml_get(root, "duration"), L->err, L->errlen,
                            "duration: must be longer than 00:00");
    if (s->season[0] && strcmp(s->season, "spring") != 0 && strcmp(s->season, "summer") != 0 &&
        strcmp(s->season, "autumn") != 0 && strcmp(s->season, "winter") != 0)
        return hl_yaml_errf(L->d, hl_yaml_get(root, "season"), L->err, L->errlen,
                            "season: '%s' is not spring, summer, autumn or winter", s->season);
    return 0;
}

int drill_scenario_load(const char *path, const drill_catalog *cat, drill_scenario **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    hl_yaml_doc *doc = NULL;
    int rc = hl_yaml_load(path, &doc, err, errlen);
    if (rc < 0)
        return rc;
    drill_scenario *s = calloc(1, sizeof *s);
    if (!s) {
        hl_yaml_free(&doc);
        return HL_ENOMEM;
    }
    snprintf(s->file, sizeof s->file, "%s", path);
    drill_ld L = {doc, cat, err, errlen};
    if ((rc = drill__load_head(&L, s)) == 0 && (rc = drill__load_units(&L, s)) == 0 &&
        (rc = drill__load_injects(&L, s)) == 0)
        rc = drill__load_expects(&L, s);
    hl_yaml_free(&doc);
    if (rc < 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}
