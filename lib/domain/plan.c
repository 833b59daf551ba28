/* plan.c — plan.yaml rules and plan building (plan.h). */
#include "hazlink/plan.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_yaml.h"
#include "domain_util.h"

/* ---- ids ---- */

void hl_plan_id(const char *incident_id, unsigned revision, char out[HL_NET_ID_MAX + 1])
{
    char rev[16] = "";
    if (revision > 1)
        snprintf(rev, sizeof rev, ".r%u", revision);
    if (strlen("pl-") + strlen(incident_id) + strlen(rev) <= HL_NET_ID_MAX)
        hl_dom_fmt(out, HL_NET_ID_MAX + 1, "pl-%s%s", incident_id, rev);
    else
        snprintf(out, HL_NET_ID_MAX + 1, "pl-%016" PRIx64 "%s", hl_dom_fnv1a(incident_id), rev);
}

void hl_plan_task_id(const char *plan_id, const char *kind, const char *target,
                     char out[HL_NET_ID_MAX + 1])
{
    char full[3 * (HL_NET_ID_MAX + 1) + 4];
    snprintf(full, sizeof full, "%s-%s-%s", plan_id, kind, target);
    if (strlen(full) <= HL_NET_ID_MAX) {
        memcpy(out, full, strlen(full) + 1);
        return;
    }
    /* 47 + 1 + 16 = 64: a readable prefix and a hash of the whole keep it unique. */
    snprintf(out, HL_NET_ID_MAX + 1, "%.47s-%016" PRIx64, full, hl_dom_fnv1a(full));
}

/* ---- plan.yaml ---- */

typedef hl_dom_yctx ctx;

static int load_needs(ctx *c, const hl_yaml_node *seq, const char *what, hl_need *needs,
                      size_t *n)
{
    static const char *const keys[] = {"material", "quantity", "unit", NULL};
    int rc;
    if (seq->n > HL_PLAN_MAX_NEEDS) {
        hl_yaml_errf(c->d, seq, c->err, c->errlen, "%s: %zu entries, at most %d", what, seq->n,
                     HL_PLAN_MAX_NEEDS);
        return HL_ETOOBIG;
    }
    for (size_t i = 0; i < seq->n; i++) {
        const hl_yaml_node *m = seq->items[i];
        hl_need *x = &needs[i];
        if ((rc = hl_dom_ymap(c, m, what)) < 0 ||
            (rc = hl_yaml_only(c->d, m, keys, c->err, c->errlen)) < 0 ||
            (rc = hl_dom_yid(c, m, "material", 1, x->material_id, sizeof x->material_id)) < 0 ||
            (rc = hl_yaml_num(c->d, m, "quantity", 1, 1e-9, 1e9, &x->quantity, c->err,
                              c->errlen)) < 0 ||
            (rc = hl_dom_ystr(c, m, "unit", 1, x->unit, sizeof x->unit)) < 0)
            return rc;
    }
    *n = seq->n;
    return 0;
}

static int load_counterparts(ctx *c, const hl_yaml_node *root, const hl_network *net,
                             hl_plan_rules *r)
{
    static const char *const keys[] = {"corps", "local", "local_by_point", NULL};
    const hl_yaml_node *m = hl_yaml_get(root, "counterparts"), *by;
    int rc;
    if (!m)
        return hl_yaml_errf(c->d, root, c->err, c->errlen, "counterparts: missing");
    if ((rc = hl_dom_ymap(c, m, "counterparts")) < 0 ||
        (rc = hl_yaml_only(c->d, m, keys, c->err, c->errlen)) < 0 ||
        (rc = hl_dom_yid(c, m, "corps", 1, r->corps_counterpart, sizeof r->corps_counterpart)) < 0 ||
        (rc = hl_dom_yid(c, m, "local", 1, r->local_counterpart, sizeof r->local_counterpart)) < 0)
        return rc;
    by = hl_yaml_get(m, "local_by_point");
    if (!by)
        return 0;
    if ((rc = hl_dom_ymap(c, by, "counterparts.local_by_point")) < 0)
        return rc;
    if (by->n > HL_PLAN_MAX_COUNTERPARTS) {
        hl_yaml_errf(c->d, by, c->err, c->errlen, "local_by_point: %zu entries, at most %d",
                     by->n, HL_PLAN_MAX_COUNTERPARTS);
        return HL_ETOOBIG;
    }
    for (size_t i = 0; i < by->n; i++) {
        const char *pt = by->keys[i];
        const hl_yaml_node *v = by->values[i];
        if (!hl_dom_id_ok(pt))
            return hl_yaml_errf(c->d, v, c->err, c->errlen,
                                "local_by_point: '%s' is not an id", pt);
        /* Risk sources live in risk_sources.yaml (not ours): accepted by their prefix. */
        if (net && strncmp(pt, "rs-", 3) != 0 && !hl_network_station(net, pt) &&
            !hl_network_space(net, pt) && !hl_network_receptor(net, pt))
            return hl_yaml_errf(c->d, v, c->err, c->errlen,
                                "local_by_point: '%s' is not a station, space or receptor of "
                                "the network", pt);
        if (v->kind != HL_YAML_SCALAR || !hl_dom_id_ok(v->value))
            return hl_yaml_errf(c->d, v, c->err, c->errlen,
                                "local_by_point.%s: expected a unit id", pt);
        hl_dom_copy(r->local_by_point[i].point_id, sizeof r->local_by_point[i].point_id, pt);
        hl_dom_copy(r->local_by_point[i].unit_id, sizeof r->local_by_point[i].unit_id, v->value);
    }
    r->n_local_by_point = by->n;
    return 0;
}

static int load_groups(ctx *c, const hl_yaml_node *root, hl_plan_rules *r)
{
    static const char *const keys[] = {"id", "items", NULL};
    const hl_yaml_node *seq, *items;
    int rc;
    if ((rc = hl_yaml_seq(c->d, root, "substance_groups", 1, &seq, c->err, c->errlen)) < 0)
        return rc;
    if (seq->n > HL_PLAN_MAX_GROUPS) {
        hl_yaml_errf(c->d, seq, c->err, c->errlen, "substance_groups: %zu, at most %d", seq->n,
                     HL_PLAN_MAX_GROUPS);
        return HL_ETOOBIG;
    }
    for (size_t i = 0; i < seq->n; i++) {
        const hl_yaml_node *m = seq->items[i];
        hl_substance_group *g = &r->groups[i];
        if ((rc = hl_dom_ymap(c, m, "substance_groups")) < 0 ||
            (rc = hl_yaml_only(c->d, m, keys, c->err, c->errlen)) < 0 ||
            (rc = hl_dom_yid(c, m, "id", 1, g->id, sizeof g->id)) < 0 ||
            (rc = hl_yaml_seq(c->d, m, "items", 1, &items, c->err, c->errlen)) < 0)
            return rc;
        if (items->n == 0 || items->n > HL_PLAN_MAX_GROUP_ITEMS) {
            hl_yaml_errf(c->d, items, c->err, c->errlen, "items: %zu names, expected 1..%d",
                         items->n, HL_PLAN_MAX_GROUP_ITEMS);
            return HL_ETOOBIG;
        }
        for (size_t k = 0; k < items->n; k++) {
            const hl_yaml_node *it = items->items[k];
            if (it->kind != HL_YAML_SCALAR || !it->value[0] || strlen(it->value) > HL_NET_ID_MAX)
                return hl_yaml_errf(c->d, it, c->err, c->errlen,
                                    "items[%zu]: expected a substance name of 1..%d bytes", k,
                                    HL_NET_ID_MAX);
            hl_dom_copy(g->items[k], sizeof g->items[k], it->value);
        }
        g->n_items = items->n;
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->groups[j].id, g->id) == 0)
                return hl_yaml_errf(c->d, m, c->err, c->errlen,
                                    "id: substance group '%s' is defined twice", g->id);
    }
    r->n_groups = seq->n;
    return 0;
}

static int load_rules(ctx *c, const hl_yaml_node *root, hl_plan_rules *r)
{
    static const char *const keys[] = {"group", "space_kind", "needs", "assumption", NULL};
    static const char *const kinds[] = {"headworks", "reservoir", "bridge", "dam", "none", "*",
                                        NULL};
    const hl_yaml_node *seq, *needs;
    int rc;
    if ((rc = hl_yaml_seq(c->d, root, "materials", 1, &seq, c->err, c->errlen)) < 0)
        return rc;
    if (seq->n > HL_PLAN_MAX_RULES) {
        hl_yaml_errf(c->d, seq, c->err, c->errlen, "materials: %zu rules, at most %d", seq->n,
                     HL_PLAN_MAX_RULES);
        return HL_ETOOBIG;
    }
    for (size_t i = 0; i < seq->n; i++) {
        const hl_yaml_node *m = seq->items[i];
        hl_material_rule *x = &r->rules[i];
        if ((rc = hl_dom_ymap(c, m, "materials")) < 0 ||
            (rc = hl_yaml_only(c->d, m, keys, c->err, c->errlen)) < 0 ||
            (rc = hl_dom_ystr(c, m, "group", 1, x->group, sizeof x->group)) < 0 ||
            (rc = hl_dom_ystr(c, m, "space_kind", 1, x->space_kind, sizeof x->space_kind)) < 0 ||
            (rc = hl_dom_ystr(c, m, "assumption", 1, x->assumption, sizeof x->assumption)) < 0 ||
            (rc = hl_yaml_seq(c->d, m, "needs", 1, &needs, c->err, c->errlen)) < 0 ||
            (rc = load_needs(c, needs, "needs", x->needs, &x->n_needs)) < 0)
            return rc;
        if (!hl_dom_in(x->space_kind, kinds))
            return hl_yaml_errf(c->d, hl_yaml_get(m, "space_kind"), c->err, c->errlen,
                                "space_kind: '%s' is not headworks, reservoir, bridge, dam, "
                                "none or *", x->space_kind);
        int known = strcmp(x->group, "*") == 0;
        for (size_t g = 0; g < r->n_groups && !known; g++)
            known = strcmp(r->groups[g].id, x->group) == 0;
        if (!known)
            return hl_yaml_errf(c->d, hl_yaml_get(m, "group"), c->err, c->errlen,
                                "group: '%s' is not a substance group", x->group);
        x->line = m->line;
    }
    r->n_rules = seq->n;
    return 0;
}

static int load_rules_doc(ctx *c, const hl_network *net, hl_plan_rules *r)
{
    static const char *const keys[] = {"plan", "horizon_h", "counterparts", "substance_groups",
                                       "materials", "per_sample", "per_receptor", NULL};
    const hl_yaml_node *root = c->d->root, *seq;
    int rc;
    if ((rc = hl_dom_ymap(c, root, "plan.yaml")) < 0 ||
        (rc = hl_yaml_only(c->d, root, keys, c->err, c->errlen)) < 0 ||
        (rc = hl_dom_yid(c, root, "plan", 1, r->plan, sizeof r->plan)) < 0 ||
        (rc = hl_yaml_num(c->d, root, "horizon_h", 1, 1, HL_FORECAST_MAX_HORIZON_H, &r->horizon_h,
                          c->err, c->errlen)) < 0 ||
        (rc = load_counterparts(c, root, net, r)) < 0 || (rc = load_groups(c, root, r)) < 0 ||
        (rc = load_rules(c, root, r)) < 0)
        return rc;
    if ((rc = hl_yaml_seq(c->d, root, "per_sample", 0, &seq, c->err, c->errlen)) < 0 ||
        (seq && (rc = load_needs(c, seq, "per_sample", r->per_sample, &r->n_per_sample)) < 0))
        return rc;
    if ((rc = hl_yaml_seq(c->d, root, "per_receptor", 0, &seq, c->err, c->errlen)) < 0 ||
        (seq && (rc = load_needs(c, seq, "per_receptor", r->per_receptor, &r->n_per_receptor)) < 0))
        return rc;
    return 0;
}

int hl_plan_rules_load(const char *plan_dir, const hl_network *net, hl_plan_rules **out,
                       char *err, size_t errlen)
{
    char path[1024];
    hl_yaml_doc *d = NULL;
    int rc;
    if (snprintf(path, sizeof path, "%s/plan.yaml", plan_dir) >= (int)sizeof path) {
        snprintf(err, errlen, "%s/plan.yaml: path too long", plan_dir);
        return HL_ETOOBIG;
    }
    hl_plan_rules *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "%s: out of memory", path);
        return HL_ENOMEM;
    }
    if ((rc = hl_yaml_load(path, &d, err, errlen)) < 0) {
        free(r);
        return rc;
    }
    ctx c = {d, err, errlen};
    rc = load_rules_doc(&c, net, r);
    hl_yaml_free(&d);
    if (rc < 0) {
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void hl_plan_rules_destroy(hl_plan_rules **r)
{
    if (!r || !*r)
        return;
    free(*r);
    *r = NULL;
}

/* ---- building ---- */

const hl_substance_group *hl_plan_group_of(const hl_plan_rules *r, const char *parameter)
{
    const hl_substance_group *any = NULL;
    for (size_t g = 0; g < r->n_groups; g++) {
        for (size_t i = 0; i < r->groups[g].n_items; i++) {
            const char *it = r->groups[g].items[i];
            if (strcmp(it, "*") == 0) {
                if (!any)
                    any = &r->groups[g];
            } else if (strcasecmp(it, parameter) == 0) {
                return &r->groups[g];
            }
        }
    }
    return any;
}

static void fmt_time(int64_t ms, char *buf, size_t n);

int hl_plan_choose_space(const hl_network *net, const hl_forecast *f, const hl_space **out,
                         size_t *threatened, int *volume_unknown, char *why, size_t whylen)
{
    size_t n_threat = 0, used = 0;
    *out = NULL;
    if (volume_unknown)
        *volume_unknown = 0;
    if (why && whylen)
        why[0] = 0;
    for (size_t i = 0; i < f->n_points; i++) {
        const hl_forecast_point *p = &f->points[i];
        if (p->kind != HL_POINT_SPACE || !p->threatened)
            continue;
        const hl_space *s = &net->spaces[p->index];
        n_threat++;
        const char *reason = NULL;
        char buf[200], tbuf[40];
        if (!p->ready_in_time) {
            fmt_time(p->front_ms, tbuf, sizeof tbuf);
            snprintf(buf, sizeof buf,
                     "%s (km %g): set-up %g h does not fit before the front at %s", s->id,
                     s->chainage_km, s->setup_h, tbuf);
            reason = buf;
        } else if (p->volume_m3 > 0 && s->capacity_m3 < p->volume_m3) {
            snprintf(buf, sizeof buf,
                     "%s (km %g): capacity %.0f m3 < %.0f m3 needed (%.3g m3/s for %.0f min "
                     "above the limit)",
                     s->id, s->chainage_km, s->capacity_m3, p->volume_m3, p->discharge_m3_s,
                     (double)(p->clear_ms - p->front_ms) / 60000.0);
            reason = buf;
        }
        if (!reason) {
            *out = s;
            if (volume_unknown)
                *volume_unknown = !(p->volume_m3 > 0);
            break;
        }
        /* Collect the refusals, the nearest first, so the duty officer sees why. */
        if (why && used + 3 < whylen) {
            int k = snprintf(why + used, whylen - used, "%s%s", used ? "; " : "", reason);
            if (k > 0)
                used += (size_t)k < whylen - used ? (size_t)k : whylen - used - 1;
        }
    }
    if (threatened)
        *threatened = n_threat;
    if (*out)
        return 0;
    if (why && n_threat == 0)
        snprintf(why, whylen, "no emergency space is threatened within the horizon");
    return HL_ENOTFOUND;
}

static const hl_material_rule *rule_for(const hl_plan_rules *r, const char *group,
                                        const char *space_kind)
{
    for (size_t i = 0; i < r->n_rules; i++) {
        const hl_material_rule *x = &r->rules[i];
        int g = strcmp(x->group, "*") == 0 || (group && strcmp(x->group, group) == 0);
        /* "*" means any space; it does not stand in for "none" (no space at all). */
        int k = strcmp(x->space_kind, space_kind) == 0 ||
                (strcmp(x->space_kind, "*") == 0 && strcmp(space_kind, "none") != 0);
        if (g && k)
            return x;
    }
    return NULL;
}

static int add_needs(hl_plan *p, const hl_need *needs, size_t n, double times)
{
    /* Zero times (no sample, no closed intake) adds nothing, not a zero line. */
    for (size_t i = 0; i < n && times > 0; i++) {
        size_t k;
        for (k = 0; k < p->n_needs; k++)
            if (strcmp(p->needs[k].material_id, needs[i].material_id) == 0)
                break;
        if (k == p->n_needs) {
            if (p->n_needs == HL_PLAN_MAX_MATERIALS)
                return HL_ETOOBIG;
            p->needs[k] = needs[i];
            p->needs[k].quantity = 0;
            p->n_needs++;
        }
        p->needs[k].quantity += needs[i].quantity * times;
    }
    return 0;
}

static const char *local_bureau(const hl_plan_rules *r, const char *point_id)
{
    for (size_t i = 0; point_id && i < r->n_local_by_point; i++)
        if (strcmp(r->local_by_point[i].point_id, point_id) == 0)
            return r->local_by_point[i].unit_id;
    return r->local_counterpart;
}

static void fmt_time(int64_t ms, char *buf, size_t n)
{
    if (hl_time_format(ms, HL_TZ_BEIJING_MIN, buf, n) < 0)
        snprintf(buf, n, "%" PRId64 " ms", ms);
}

static hl_plan_task *new_task(hl_plan *p, const hl_plan_input *in, const char *kind,
                              const char *short_kind, const char *target, const char *unit,
                              double km, int64_t due)
{
    if (p->n_tasks == HL_PLAN_MAX_TASKS)
        return NULL;
    hl_plan_task *t = &p->tasks[p->n_tasks++];
    memset(t, 0, sizeof *t);
    hl_plan_task_id(in->plan_id, short_kind, target, t->id);
    hl_dom_copy(t->kind, sizeof t->kind, kind);
    hl_dom_copy(t->unit_id, sizeof t->unit_id, unit);
    hl_dom_copy(t->target_id, sizeof t->target_id, target);
    t->chainage_km = km;
    t->due_ms = due;
    return t;
}

static const char *unverified_note(const hl_forecast *f)
{
    return f->velocities_unverified
               ? " Velocities are hazlink assumptions (unverified); times are estimates."
               : "";
}

/* "front …, peak … mg/L at …, below the limit again …" for a task's detail. */
static void passage_text(const hl_forecast_point *pt, char *out, size_t n)
{
    char a[40], b[40], c[48];
    if (!pt->concentration_known) {
        fmt_time(pt->arrival_ms, a, sizeof a);
        snprintf(out, n, "concentration unknown, assumed above the limit from %s (advective "
                         "arrival)",
                 a);
        return;
    }
    fmt_time(pt->front_ms, a, sizeof a);
    fmt_time(pt->peak_ms, b, sizeof b);
    if (pt->clear_ms > 0)
        fmt_time(pt->clear_ms, c, sizeof c);
    else
        snprintf(c, sizeof c, "not known (the plume's end is unknown)");
    if (pt->threatened)
        snprintf(out, n, "front above the limit %s, peak %.3g mg/L at %s, below the limit "
                         "again %s",
                 a, pt->peak_mg_l, b, c);
    else
        snprintf(out, n, "peak %.3g mg/L at %s, forecast not to exceed the limit within the "
                         "horizon",
                 pt->peak_mg_l, b);
}

/* Counterpart units to notify, deduplicated, in the order they are first met. */
typedef struct notify_set {
    char unit[HL_PLAN_MAX_TASKS][HL_NET_ID_MAX + 1];
    char why[HL_PLAN_MAX_TASKS][HL_NET_ID_MAX + 1];
    size_t n;
} notify_set;

static void notify_add(notify_set *ns, const char *unit, const char *why)
{
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->unit[i], unit) == 0)
            return;
    if (ns->n == HL_PLAN_MAX_TASKS)
        return;
    hl_dom_copy(ns->unit[ns->n], sizeof ns->unit[ns->n], unit);
    hl_dom_copy(ns->why[ns->n], sizeof ns->why[ns->n], why);
    ns->n++;
}

static void notify_side(const hl_plan_rules *r, notify_set *ns, const char *side,
                        const char *point_id)
{
    if (strcmp(side, "corps") == 0)
        notify_add(ns, r->corps_counterpart, point_id);
    else if (strcmp(side, "local") == 0)
        notify_add(ns, local_bureau(r, point_id), point_id);
}

static const char *point_side(const hl_network *net, const hl_forecast_point *p)
{
    switch (p->kind) {
    case HL_POINT_SPACE: return net->spaces[p->index].jurisdiction;
    case HL_POINT_SECTION: return net->stations[p->index].jurisdiction;
    case HL_POINT_RECEPTOR: return net->receptors[p->index].jurisdiction;
    }
    return "";
}

static const hl_location *point_location(const hl_network *net, const hl_forecast_point *p)
{
    switch (p->kind) {
    case HL_POINT_SPACE: return &net->spaces[p->index].location;
    case HL_POINT_SECTION: return &net->stations[p->index].location;
    case HL_POINT_RECEPTOR: return &net->receptors[p->index].location;
    }
    return NULL;
}

/* No space can take the plume: say why, and protect the receptors directly (their intakes
 * closed before their fronts, the nearest first) — the best that can still be done. */
static void fallback_text(const hl_network *net, const hl_forecast *f, const char *why,
                          char *out, size_t n)
{
    char list[HL_PLAN_DETAIL_MAX + 1] = "", tbuf[40];
    size_t k = 0;
    for (size_t i = 0; i < f->n_points; i++) {
        const hl_forecast_point *pt = &f->points[i];
        if (pt->kind != HL_POINT_RECEPTOR || !pt->threatened)
            continue;
        const hl_receptor *rc = &net->receptors[pt->index];
        fmt_time(pt->front_ms, tbuf, sizeof tbuf);
        size_t used = strlen(list);
        hl_dom_fmt(list + used, sizeof list - used, "%s%s (%s) front %s", k++ ? ", " : "",
                   rc->id, rc->intake_closable ? "close the intake" : "warn the owner", tbuf);
    }
    hl_dom_fmt(out, n,
               "no emergency space can be ready before the front and hold the plume (%s); "
               "fallback: protect the threatened receptors directly%s%s",
               why, k ? ": " : " (none is threatened within the horizon)", list);
}

static int build_tasks(const hl_network *net, const hl_plan_rules *r, const hl_plan_input *in,
                       hl_plan *p)
{
    const hl_forecast *f = p->forecast;
    char tbuf[40];
    hl_plan_task *t;
    size_t n_samples = 0, n_closed = 0;

    if (p->space) {
        const hl_forecast_point *sp = hl_forecast_point_find(f, p->space->id);
        fmt_time(sp->front_ms, tbuf, sizeof tbuf);
        if (!(t = new_task(p, in, "intercept", "intercept", p->space->id, p->space->unit_id,
                           p->space->chainage_km, sp->front_ms)))
            return HL_ETOOBIG;
        hl_dom_fmt(t->title, sizeof t->title, "Intercept %s at %s (km %g) before %s", in->parameter,
                 p->space->name, p->space->chainage_km, tbuf);
        char pass[300], vol[200];
        passage_text(sp, pass, sizeof pass);
        if (sp->volume_m3 > 0)
            snprintf(vol, sizeof vol, "about %.0f m3 to hold (%.3g m3/s while above the limit; "
                                      "capacity %.0f m3)",
                     sp->volume_m3, sp->discharge_m3_s, p->space->capacity_m3);
        else
            snprintf(vol, sizeof vol, "the volume to hold is unknown (the plume's end or size "
                                      "is not known): capacity %.0f m3 not checked against it",
                     p->space->capacity_m3);
        hl_dom_fmt(t->detail, sizeof t->detail,
                   "Make the %s ready (set-up %g h) and hold the polluted water: %s; %s. "
                   "Materials are reserved near it.%s",
                   p->space->kind, p->space->setup_h, pass, vol, unverified_note(f));
    }
    for (size_t k = 0; k < p->n_barriers; k++) {
        const hl_space *b = p->barriers[k];
        const hl_forecast_point *bp = hl_forecast_point_find(f, b->id);
        fmt_time(bp->front_ms, tbuf, sizeof tbuf);
        if (!(t = new_task(p, in, "intercept", "intercept", b->id, b->unit_id, b->chainage_km,
                           bp->front_ms)))
            return HL_ETOOBIG;
        hl_dom_fmt(t->title, sizeof t->title, "Intercept %s at %s (km %g) before %s: further barrier",
                   in->parameter, b->name, b->chainage_km, tbuf);
        char pass[300];
        passage_text(bp, pass, sizeof pass);
        hl_dom_fmt(t->detail, sizeof t->detail,
                   "Keep the %s ready (set-up %g h) as a further barrier: a re-anchored forecast "
                   "intercepts first at %s (km %g); this space, tasked first, still can be ready "
                   "and hold the plume, which reaches it %s.%s",
                   b->kind, b->setup_h, p->space ? p->space->name : "(none)",
                   p->space ? p->space->chainage_km : 0.0, pass, unverified_note(f));
    }
    for (size_t i = 0; i < f->n_points; i++) {
        const hl_forecast_point *pt = &f->points[i];
        if (pt->kind != HL_POINT_RECEPTOR || !pt->threatened)
            continue;
        const hl_receptor *rc = &net->receptors[pt->index];
        fmt_time(pt->front_ms, tbuf, sizeof tbuf);
        if (rc->intake_closable) {
            if (!(t = new_task(p, in, "protect_receptor", "protect", rc->id, rc->unit_id,
                               rc->chainage_km, pt->front_ms)))
                return HL_ETOOBIG;
            hl_dom_fmt(t->title, sizeof t->title, "Close the intake of %s before %s", rc->name,
                     tbuf);
            char pass[300];
            passage_text(pt, pass, sizeof pass);
            hl_dom_fmt(t->detail, sizeof t->detail,
                       "%s at km %g: %s; close the river-side intake and the wells nearest the "
                       "river until cleared.%s",
                       in->parameter, rc->chainage_km, pass, unverified_note(f));
            n_closed++;
        }
        if (!(t = new_task(p, in, "warn_owner", "warn", rc->id, rc->unit_id, rc->chainage_km,
                           pt->front_ms)))
            return HL_ETOOBIG;
        hl_dom_fmt(t->title, sizeof t->title, "Warning: %s plume reaches %s at %s", in->parameter,
                 rc->name, tbuf);
        char pass[300];
        passage_text(pt, pass, sizeof pass);
        hl_dom_fmt(t->detail, sizeof t->detail, "Incident %s: %s at %s (km %g): %s.%s",
                   in->incident_id, in->parameter, rc->name, rc->chainage_km, pass,
                   unverified_note(f));
    }
    for (size_t i = 0; i < f->n_points; i++) {
        const hl_forecast_point *pt = &f->points[i];
        if (pt->kind != HL_POINT_SECTION || !pt->within_horizon)
            continue;
        const hl_station *st = &net->stations[pt->index];
        /* At the front when the limit is forecast to be exceeded there, else when the centre
         * of the plume passes (to confirm a forecast built on assumed velocities). */
        int64_t due = pt->threatened ? pt->front_ms : pt->arrival_ms;
        fmt_time(due, tbuf, sizeof tbuf);
        if (!(t = new_task(p, in, "sample", "sample", st->id, st->unit_id, st->chainage_km,
                           due)))
            return HL_ETOOBIG;
        hl_dom_fmt(t->title, sizeof t->title, "Sample %s at %s at %s", in->parameter, st->name,
                 tbuf);
        char pass[300];
        passage_text(pt, pass, sizeof pass);
        hl_dom_fmt(t->detail, sizeof t->detail,
                   "Sample at %s and every hour until it clears (%s); each reading re-anchors "
                   "the forecast.%s",
                   tbuf, pass, unverified_note(f));
        n_samples++;
    }
    /* 兵地联动: the side handling the incident notifies the other side's bureau when the
     * incident or any threatened point lies there. */
    notify_set *ns = calloc(1, sizeof *ns);
    if (!ns)
        return HL_ENOMEM;
    const char *home = p->station_side;
    if (home[0]) {
        if (in->incident_side[0] && strcmp(in->incident_side, home) != 0)
            notify_side(r, ns, in->incident_side, in->source_id[0] ? in->source_id : NULL);
        for (size_t i = 0; i < f->n_points; i++) {
            const hl_forecast_point *pt = &f->points[i];
            const char *side = point_side(net, pt);
            if (pt->threatened && strcmp(side, home) != 0)
                notify_side(r, ns, side, pt->id);
        }
    }
    int rc = 0;
    for (size_t i = 0; i < ns->n && rc == 0; i++) {
        if (!(t = new_task(p, in, "notify_counterpart", "notify", ns->unit[i], ns->unit[i], 0,
                           in->fc.now_ms))) {
            rc = HL_ETOOBIG;
            break;
        }
        hl_dom_fmt(t->title, sizeof t->title, "Counterpart notice (%s side): %s incident %s",
                 home, in->parameter, in->incident_id);
        hl_dom_fmt(t->detail, sizeof t->detail,
                 "The %s side is handling a %s incident that reaches your side (first: %s). "
                 "Interception: %s.%s",
                 home, in->parameter, ns->why[i][0] ? ns->why[i] : "the release point",
                 p->space ? p->space->name : p->fallback, unverified_note(f));
    }
    free(ns);
    if (rc < 0)
        return rc;
    if ((rc = add_needs(p, r->per_sample, r->n_per_sample, (double)n_samples)) < 0 ||
        (rc = add_needs(p, r->per_receptor, r->n_per_receptor, (double)n_closed)) < 0)
        return rc;
    return 0;
}

int hl_plan_build(const hl_network *net, const hl_plan_rules *rules, const hl_plan_input *in,
                  hl_plan **out)
{
    int rc;
    if (!net || !rules || !in || !in->plan_id[0] || !in->incident_id[0])
        return HL_EINVAL;
    hl_plan *p = calloc(1, sizeof *p);
    if (!p)
        return HL_ENOMEM;
    if (!(p->tasks = calloc(HL_PLAN_MAX_TASKS, sizeof *p->tasks))) {
        free(p);
        return HL_ENOMEM;
    }
    if ((rc = hl_forecast_run(net, &in->fc, &p->forecast)) < 0)
        goto fail;

    /* The side handling the incident: the observing station's, else the incident's. */
    const hl_station *st = in->fc.anchor == HL_ANCHOR_OBSERVED
                               ? hl_network_station(net, in->fc.station_id)
                               : NULL;
    hl_dom_copy(p->station_side, sizeof p->station_side,
                st ? st->jurisdiction : in->incident_side);

    size_t n_threat = 0;
    char why[HL_PLAN_DETAIL_MAX + 1];
    rc = hl_plan_choose_space(net, p->forecast, &p->space, &n_threat, &p->volume_unknown, why,
                              sizeof why);
    p->interception_needed = n_threat > 0;
    /* The volume shown: the chosen space's, else the nearest threatened space's. */
    for (size_t i = 0; i < p->forecast->n_points; i++) {
        const hl_forecast_point *pt = &p->forecast->points[i];
        if (pt->kind == HL_POINT_SPACE && pt->threatened &&
            (!p->space || strcmp(pt->id, p->space->id) == 0)) {
            p->needed_volume_m3 = pt->volume_m3;
            break;
        }
    }
    /* Spaces tasked before (input kept_spaces) stay as further barriers while they still
     * qualify (plan.h hl_plan_input). */
    for (size_t k = 0; k < in->n_kept && k < HL_PLAN_MAX_KEPT; k++) {
        const hl_space *ks = hl_network_space(net, in->kept_spaces[k]);
        const hl_forecast_point *kp = ks ? hl_forecast_point_find(p->forecast, ks->id) : NULL;
        if (!kp || ks == p->space || !kp->threatened || !kp->ready_in_time ||
            (kp->volume_m3 > 0 && ks->capacity_m3 < kp->volume_m3))
            continue;
        int dup = 0;
        for (size_t j = 0; j < p->n_barriers; j++)
            dup |= p->barriers[j] == ks;
        if (!dup)
            p->barriers[p->n_barriers++] = ks;
    }
    if (rc == 0) {
        p->space_ready_in_time = 1;
        hl_dom_copy(p->passed_over, sizeof p->passed_over, why);
    } else if (n_threat > 0) {
        fallback_text(net, p->forecast, why, p->fallback, sizeof p->fallback);
    } else {
        hl_dom_fmt(p->fallback, sizeof p->fallback, "%s; no interception needed", why);
    }

    const hl_substance_group *g = hl_plan_group_of(rules, in->parameter);
    hl_dom_copy(p->group, sizeof p->group, g ? g->id : "*");
    const hl_material_rule *mr = NULL;
    if (p->space)
        mr = rule_for(rules, g ? g->id : NULL, p->space->kind);
    else if (p->interception_needed)
        mr = rule_for(rules, g ? g->id : NULL, "none");
    if (mr && (rc = add_needs(p, mr->needs, mr->n_needs, 1.0)) < 0)
        goto fail;

    if ((rc = build_tasks(net, rules, in, p)) < 0)
        goto fail;

    /* Materials go where they are used: the space, else the first threatened receptor. The
     * stock service needs coordinates to find the nearest depots, so when that place has
     * none, the nearest threatened point that has them stands in, then the observing
     * station; estimated coordinates keep their "none (placed by description)" flag. */
    if (p->space && p->space->location.has_coords) {
        p->near = &p->space->location;
        hl_dom_copy(p->near_id, sizeof p->near_id, p->space->id);
    }
    for (int pass = 0; pass < 2 && !p->near; pass++) {
        for (size_t i = 0; i < p->forecast->n_points && !p->near; i++) {
            const hl_forecast_point *pt = &p->forecast->points[i];
            if (!pt->threatened || (pass == 0 && pt->kind != HL_POINT_RECEPTOR))
                continue;
            const hl_location *loc = point_location(net, pt);
            if (loc->has_coords) {
                p->near = loc;
                hl_dom_copy(p->near_id, sizeof p->near_id, pt->id);
            }
        }
    }
    if (!p->near && st && st->location.has_coords) {
        p->near = &st->location;
        hl_dom_copy(p->near_id, sizeof p->near_id, st->id);
    }
    *out = p;
    return 0;
fail:
    hl_plan_destroy(&p);
    return rc;
}

void hl_plan_destroy(hl_plan **p)
{
    if (!p || !*p)
        return;
    hl_forecast_destroy(&(*p)->forecast);
    free((*p)->tasks);
    free(*p);
    *p = NULL;
}
