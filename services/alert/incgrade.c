/* incgrade.c — see incgrade.h. */
#include "incgrade.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "shell.h"

/* ---------------------------------------------------------------------- facts ---- */

void incgrade_facts_read(const Hl__Incident *inc, grading_facts *out)
{
    memset(out, 0, sizeof *out);
    const Hl__IncidentFacts *p = inc ? inc->facts : NULL;
    if (!p)
        return;
    if (p->deaths_known_case == HL__INCIDENT_FACTS__DEATHS_KNOWN_DEATHS) {
        out->known[GF_DEATHS] = 1;
        out->num[GF_DEATHS] = p->deaths;
    }
    if (p->poisoned_known_case ==
        HL__INCIDENT_FACTS__POISONED_KNOWN_POISONED_OR_SERIOUSLY_INJURED) {
        out->known[GF_POISONED] = 1;
        out->num[GF_POISONED] = p->poisoned_or_seriously_injured;
    }
    if (p->evacuated_known_case == HL__INCIDENT_FACTS__EVACUATED_KNOWN_EVACUATED) {
        out->known[GF_EVACUATED] = 1;
        out->num[GF_EVACUATED] = p->evacuated;
    }
    if (p->loss_known_case == HL__INCIDENT_FACTS__LOSS_KNOWN_DIRECT_ECONOMIC_LOSS_YUAN) {
        out->known[GF_LOSS] = 1;
        out->num[GF_LOSS] = p->direct_economic_loss_yuan;
    }
    const struct {
        int set;
        const char *v;
        grading_fact f;
    } cats[] = {
        {p->drinking_known_case == HL__INCIDENT_FACTS__DRINKING_KNOWN_DRINKING_WATER_INTERRUPTION,
         p->drinking_water_interruption, GF_DRINKING},
        {p->cross_known_case == HL__INCIDENT_FACTS__CROSS_KNOWN_CROSS_BOUNDARY, p->cross_boundary,
         GF_CROSS},
        {p->ecology_known_case == HL__INCIDENT_FACTS__ECOLOGY_KNOWN_ECOLOGY, p->ecology,
         GF_ECOLOGY},
        {p->radiation_known_case == HL__INCIDENT_FACTS__RADIATION_KNOWN_RADIATION, p->radiation,
         GF_RADIATION},
    };
    for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++)
        if (cats[i].set && cats[i].v) {
            out->known[cats[i].f] = 1;
            snprintf(out->cat[cats[i].f], sizeof out->cat[0], "%s", cats[i].v);
        }
}

/* "12", "?", "prefecture" for messages. */
static void incgrade__value(const grading_facts *f, grading_fact k, char *out, size_t n)
{
    if (!f->known[k])
        snprintf(out, n, "?");
    else if (grading_fact_numeric(k))
        snprintf(out, n, "%.15g", f->num[k]);
    else
        snprintf(out, n, "%s", f->cat[k]);
}

int incgrade_facts_merge(const grading_table *t, const Hl__IncidentFacts *in, grading_facts *f,
                         const char *prefix, char *field, size_t fieldlen, char *why, size_t whylen,
                         char *changes, size_t changeslen)
{
    grading_facts given;
    memset(&given, 0, sizeof given);
    /* What in sets, read the same way as a stored record. */
    Hl__Incident tmp = HL__INCIDENT__INIT;
    tmp.facts = (Hl__IncidentFacts *)in;
    incgrade_facts_read(&tmp, &given);
    if (changes && changeslen)
        changes[0] = '\0';
    size_t any = 0, used = 0;
    for (int k = 0; k < GF_COUNT; k++) {
        if (!given.known[k])
            continue;
        any++;
        const char *name = grading_fact_name((grading_fact)k);
        /* A keyword longer than a cell can hold cannot be one of the table's. */
        const char *raw = NULL;
        switch (k) {
        case GF_DRINKING:
            raw = in->drinking_water_interruption;
            break;
        case GF_CROSS:
            raw = in->cross_boundary;
            break;
        case GF_ECOLOGY:
            raw = in->ecology;
            break;
        case GF_RADIATION:
            raw = in->radiation;
            break;
        default:
            break;
        }
        int rc =
            raw && strlen(raw) > GRADING_KEYWORD_MAX
                ? HL_EINVAL
                : grading_fact_check(t, (grading_fact)k, given.num[k], given.cat[k], why, whylen);
        if (rc < 0) {
            if (raw && strlen(raw) > GRADING_KEYWORD_MAX && why && whylen)
                snprintf(why, whylen, "%s is longer than %d bytes", name, GRADING_KEYWORD_MAX);
            if (field && fieldlen)
                snprintf(field, fieldlen, "%s.%s", prefix,
                         k == GF_LOSS ? "direct_economic_loss_yuan" : name);
            return rc;
        }
        char was[80], now[80];
        incgrade__value(f, (grading_fact)k, was, sizeof was);
        incgrade__value(&given, (grading_fact)k, now, sizeof now);
        if (changes && changeslen && used < changeslen && strcmp(was, now) != 0) {
            int w = snprintf(changes + used, changeslen - used, "%s%s %s → %s", used ? "; " : "",
                             name, was, now);
            used += w > 0 ? (size_t)w : 0;
        }
        f->known[k] = 1;
        f->num[k] = given.num[k];
        memcpy(f->cat[k], given.cat[k], sizeof f->cat[k]);
    }
    if (!any) {
        if (field && fieldlen)
            snprintf(field, fieldlen, "%s", prefix);
        if (why && whylen)
            snprintf(why, whylen,
                     "no fact given (deaths, poisoned_or_seriously_injured, "
                     "evacuated, direct_economic_loss_yuan, "
                     "drinking_water_interruption, cross_boundary, ecology, "
                     "radiation)");
        return HL_ENOTFOUND;
    }
    if (changes && changeslen && !changes[0])
        snprintf(changes, changeslen, "no change");
    return 0;
}

int incgrade_facts_write(Hl__Incident *inc, const grading_facts *f, const char *actor,
                         const char *basis)
{
    Hl__IncidentFacts p = HL__INCIDENT_FACTS__INIT;
    p.incident_id = inc->id;
    p.actor = (char *)(actor ? actor : "");
    p.basis = (char *)(basis ? basis : "");
    /* Counts are whole people: the table's bounds are whole numbers, and the request's
     * fields are uint32. */
    if (f->known[GF_DEATHS]) {
        p.deaths_known_case = HL__INCIDENT_FACTS__DEATHS_KNOWN_DEATHS;
        p.deaths = (uint32_t)f->num[GF_DEATHS];
    }
    if (f->known[GF_POISONED]) {
        p.poisoned_known_case = HL__INCIDENT_FACTS__POISONED_KNOWN_POISONED_OR_SERIOUSLY_INJURED;
        p.poisoned_or_seriously_injured = (uint32_t)f->num[GF_POISONED];
    }
    if (f->known[GF_EVACUATED]) {
        p.evacuated_known_case = HL__INCIDENT_FACTS__EVACUATED_KNOWN_EVACUATED;
        p.evacuated = (uint32_t)f->num[GF_EVACUATED];
    }
    if (f->known[GF_LOSS]) {
        p.loss_known_case = HL__INCIDENT_FACTS__LOSS_KNOWN_DIRECT_ECONOMIC_LOSS_YUAN;
        p.direct_economic_loss_yuan = f->num[GF_LOSS];
    }
    if (f->known[GF_DRINKING]) {
        p.drinking_known_case = HL__INCIDENT_FACTS__DRINKING_KNOWN_DRINKING_WATER_INTERRUPTION;
        p.drinking_water_interruption = (char *)f->cat[GF_DRINKING];
    }
    if (f->known[GF_CROSS]) {
        p.cross_known_case = HL__INCIDENT_FACTS__CROSS_KNOWN_CROSS_BOUNDARY;
        p.cross_boundary = (char *)f->cat[GF_CROSS];
    }
    if (f->known[GF_ECOLOGY]) {
        p.ecology_known_case = HL__INCIDENT_FACTS__ECOLOGY_KNOWN_ECOLOGY;
        p.ecology = (char *)f->cat[GF_ECOLOGY];
    }
    if (f->known[GF_RADIATION]) {
        p.radiation_known_case = HL__INCIDENT_FACTS__RADIATION_KNOWN_RADIATION;
        p.radiation = (char *)f->cat[GF_RADIATION];
    }
    return alert_pb_set_msg((ProtobufCMessage **)&inc->facts, &p.base);
}

/* ---------------------------------------------------------------------- grade ---- */

static grade_level incgrade__parse(const char *s)
{
    grade_level g;
    return s && s[0] && grading_parse(s, &g) == 0 ? g : GRADE_NONE;
}

grade_level incgrade_current(const Hl__Incident *inc)
{
    return incgrade__parse(inc->grade);
}

grade_level incgrade_by_facts(const Hl__Incident *inc)
{
    return incgrade__parse(inc->grade_by_facts);
}

int incgrade_manual(const Hl__Incident *inc)
{
    return inc->deciding && inc->deciding->type &&
           strcmp(inc->deciding->type, INCGRADE_OFFICER) == 0;
}

/* A GradeCriterion for row idx, pointing into bufs (valid while they are). */
typedef struct incgrade__crit {
    Hl__GradeCriterion m;
    char value[96];
    char cite[GRADING_TEXT_MAX + 160];
} incgrade__crit;

static void incgrade__crit_of(const grading_table *t, const grading_facts *f, size_t idx,
                              incgrade__crit *c)
{
    const grading_criterion *r = &t->c[idx];
    hl__grade_criterion__init(&c->m);
    c->m.grade = (char *)grading_roman(r->grade);
    c->m.grade_name = (char *)grading_name(r->grade);
    c->m.type = (char *)r->type;
    c->m.fact = (char *)grading_fact_name(r->fact);
    c->m.text = (char *)r->text;
    c->m.verified = r->verified;
    c->value[0] = '\0';
    if (r->fact != GF_NONE && f->known[r->fact]) {
        if (grading_fact_numeric(r->fact))
            snprintf(c->value, sizeof c->value, "%.15g %s", f->num[r->fact], r->unit);
        else
            snprintf(c->value, sizeof c->value, "%s", f->cat[r->fact]);
    }
    c->m.value = c->value;
    grading_cite(t, idx, c->cite, sizeof c->cite);
    c->m.cite = c->cite;
}

int incgrade_set_result(Hl__Incident *inc, const grading_table *t, const grading_facts *f,
                        const grading_result *res, grade_level grade, int set_deciding)
{
    incgrade__crit *crits = calloc(res->n_met ? res->n_met : 1, sizeof *crits);
    const ProtobufCMessage *ptrs[GRADING_MAX_CRITERIA];
    if (!crits)
        return HL_ENOMEM;
    for (size_t i = 0; i < res->n_met; i++) {
        incgrade__crit_of(t, f, res->met[i], &crits[i]);
        ptrs[i] = &crits[i].m.base;
    }
    char *unknown[GF_COUNT];
    for (size_t i = 0; i < res->n_unknown; i++)
        unknown[i] = (char *)grading_fact_name(res->unknown[i]);
    int rc = alert_pb_set_msgs((ProtobufCMessage ***)&inc->criteria_met, &inc->n_criteria_met, ptrs,
                               res->n_met);
    free(crits);
    if (rc < 0 ||
        (rc = alert_pb_set_strs(&inc->facts_unknown, &inc->n_facts_unknown, unknown,
                                res->n_unknown)) < 0 ||
        (rc = alert_pb_set_str(&inc->grade_by_facts, grading_roman(res->grade))) < 0 ||
        (rc = alert_pb_set_str(&inc->grade, grading_roman(grade))) < 0 ||
        (rc = alert_pb_set_str(&inc->grade_name, grading_name(grade))) < 0 ||
        (rc = alert_pb_set_str(&inc->grading_source, GRADING_SOURCE)) < 0)
        return rc;
    if (set_deciding) {
        incgrade__crit d;
        incgrade__crit_of(t, f, res->decided_by, &d);
        if ((rc = alert_pb_set_msg((ProtobufCMessage **)&inc->deciding, &d.m.base)) < 0)
            return rc;
    }
    /* Unverified anywhere shown: a criterion met, the deciding one, or a reporting duty. */
    int unverified =
        res->unverified || (inc->deciding && !inc->deciding->verified && !incgrade_manual(inc));
    for (size_t i = 0; i < inc->n_reports; i++)
        unverified |= !inc->reports[i]->verified;
    inc->grading_unverified = unverified;
    return 0;
}

int incgrade_set_manual(Hl__Incident *inc, grade_level g, const char *actor, const char *reason)
{
    Hl__GradeCriterion d = HL__GRADE_CRITERION__INIT;
    char cite[HL_TEXT_MAX + 128];
    d.grade = (char *)grading_roman(g);
    d.grade_name = (char *)grading_name(g);
    d.type = INCGRADE_OFFICER;
    d.fact = "none";
    d.text = (char *)reason;
    d.value = (char *)actor;
    d.verified = 1; /* an officer's decision, not a table row */
    snprintf(cite, sizeof cite, "duty officer %s: %s", actor, reason);
    d.cite = cite;
    int rc;
    if ((rc = alert_pb_set_msg((ProtobufCMessage **)&inc->deciding, &d.base)) < 0 ||
        (rc = alert_pb_set_str(&inc->grade, grading_roman(g))) < 0 ||
        (rc = alert_pb_set_str(&inc->grade_name, grading_name(g))) < 0)
        return rc;
    return 0;
}

int incgrade_history_add(Hl__Incident *inc, int64_t at_ms, const char *actor, grade_level from,
                         grade_level to, const char *criterion, const char *reason, int automatic)
{
    Hl__GradeChange c = HL__GRADE_CHANGE__INIT;
    c.at_ms = at_ms;
    c.actor = (char *)(actor ? actor : "");
    c.from = (char *)grading_roman(from);
    c.to = (char *)grading_roman(to);
    c.criterion = (char *)(criterion ? criterion : "");
    c.reason = (char *)(reason ? reason : "");
    c.automatic = automatic;
    Hl__GradeChange *copy = (Hl__GradeChange *)alert_pb_clone(&c.base);
    if (!copy)
        return HL_ENOMEM;
    if (inc->n_grade_history == INCGRADE_HISTORY_MAX) {
        alert_msg_free(inc->grade_history[0]);
        memmove(&inc->grade_history[0], &inc->grade_history[1],
                (INCGRADE_HISTORY_MAX - 1) * sizeof inc->grade_history[0]);
        inc->n_grade_history--;
    }
    Hl__GradeChange **arr =
        realloc(inc->grade_history, (inc->n_grade_history + 1) * sizeof *inc->grade_history);
    if (!arr) {
        alert_msg_free(copy);
        return HL_ENOMEM;
    }
    inc->grade_history = arr;
    inc->grade_history[inc->n_grade_history++] = copy;
    return 0;
}

/* ------------------------------------------------------------------- reporting ---- */

int incgrade_reports_read(const Hl__Incident *inc, reporting_state *out)
{
    memset(out, 0, sizeof *out);
    out->discovered_ms = inc->discovered_ms;
    out->initial_grade = incgrade__parse(inc->reports_initial_grade);
    out->followups = inc->reports_followups;
    for (size_t i = 0; i < inc->n_reports && out->n < REPORTING_MAX_DUTIES; i++) {
        const Hl__ReportDuty *p = inc->reports[i];
        report_duty *d = &out->d[out->n];
        memset(d, 0, sizeof *d);
        int kind = -1;
        for (int k = 0; k < REPORT_KINDS; k++)
            if (strcmp(p->kind, reporting_kind_name((report_kind)k)) == 0)
                kind = k;
        if (kind < 0)
            return HL_EDECODE;
        d->kind = (report_kind)kind;
        snprintf(d->id, sizeof d->id, "%s", p->id);
        d->grade = incgrade__parse(p->grade);
        d->due_ms = p->due_ms;
        d->deadline_ms = p->deadline_ms;
        d->done_ms = p->done_ms;
        snprintf(d->done_by, sizeof d->done_by, "%s", p->done_by);
        snprintf(d->why, sizeof d->why, "%s", p->why);
        out->n++;
    }
    return 0;
}

int incgrade_reports_write(Hl__Incident *inc, const reporting_table *t, const reporting_state *s,
                           int64_t now_ms)
{
    Hl__ReportDuty m[REPORTING_MAX_DUTIES];
    const ProtobufCMessage *ptrs[REPORTING_MAX_DUTIES];
    int unverified = 0;
    for (size_t i = 0; i < s->n; i++) {
        const report_duty *d = &s->d[i];
        const reporting_rule *rule = reporting_rule_for(t, d->kind, d->grade);
        hl__report_duty__init(&m[i]);
        m[i].id = (char *)d->id;
        m[i].kind = (char *)reporting_kind_name(d->kind);
        m[i].state = (char *)reporting_status_name(reporting_status(d, now_ms));
        m[i].grade = (char *)grading_roman(d->grade);
        m[i].due_ms = d->due_ms;
        m[i].deadline_ms = d->deadline_ms;
        m[i].done_ms = d->done_ms;
        m[i].done_by = (char *)d->done_by;
        m[i].late = reporting_late(d);
        m[i].why = (char *)d->why;
        if (rule) {
            m[i].recipient = (char *)rule->recipient;
            m[i].requirement = (char *)rule->requirement;
            m[i].clause = (char *)rule->clause;
            m[i].source = (char *)rule->source;
            m[i].verified = rule->verified;
            unverified |= !rule->verified;
        }
        ptrs[i] = &m[i].base;
    }
    int rc;
    if ((rc = alert_pb_set_msgs((ProtobufCMessage ***)&inc->reports, &inc->n_reports, ptrs, s->n)) <
            0 ||
        (rc = alert_pb_set_str(&inc->reports_initial_grade, grading_roman(s->initial_grade))) < 0)
        return rc;
    inc->discovered_ms = s->discovered_ms;
    inc->reports_followups = s->followups;
    inc->grading_unverified |= unverified;
    return 0;
}

int incgrade_reports_refresh(Hl__Incident *inc, int64_t now_ms)
{
    for (size_t i = 0; i < inc->n_reports; i++) {
        Hl__ReportDuty *p = inc->reports[i];
        report_duty d;
        memset(&d, 0, sizeof d);
        d.due_ms = p->due_ms;
        d.deadline_ms = p->deadline_ms;
        d.done_ms = p->done_ms;
        int rc = alert_pb_set_str(&p->state, reporting_status_name(reporting_status(&d, now_ms)));
        if (rc < 0)
            return rc;
        p->late = reporting_late(&d);
    }
    return 0;
}
