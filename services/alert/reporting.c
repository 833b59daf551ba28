/* reporting.c — see reporting.h for the rules. */
#include "reporting.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"

#define MS_PER_H 3600000.0

static const char *const reporting__kinds[] = {"initial", "notice", "followup", "final", NULL};
static const char *const reporting__triggers[] = {"discovered", "neighbour", "changed", "closed",
                                                  NULL};
static const char *const reporting__status[] = {"pending", "due", "overdue", "done"};

const char *reporting_kind_name(report_kind k)
{
    return k >= REPORT_INITIAL && k < REPORT_KINDS ? reporting__kinds[k] : "?";
}

const char *reporting_status_name(report_status s)
{
    return s >= REPORT_PENDING && s <= REPORT_DONE ? reporting__status[s] : "?";
}

void reporting_destroy(reporting_table **t)
{
    if (!t || !*t)
        return;
    free(*t);
    *t = NULL;
}

/* "IV;III" → bits. */
static int reporting__grades(const refcsv *c, const refcsv_row *row, const char *v, unsigned *out,
                             char *err, size_t errlen)
{
    *out = 0;
    const char *p = v;
    do {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        char g[16];
        grade_level lv;
        if (len == 0 || len >= sizeof g)
            return refcsv_fail(c, row->line, "grades", HL_EPARSE, err, errlen,
                               "'%s' is not a ;-list of I, II, III, IV", v);
        memcpy(g, p, len);
        g[len] = '\0';
        if (grading_parse(g, &lv) < 0 || strcmp(g, grading_roman(lv)) != 0)
            return refcsv_fail(c, row->line, "grades", HL_EPARSE, err, errlen,
                               "'%s' is not I, II, III or IV", g);
        if (*out & (1u << lv))
            return refcsv_fail(c, row->line, "grades", HL_EPARSE, err, errlen, "%s twice", g);
        *out |= 1u << lv;
        p = semi ? semi + 1 : NULL;
    } while (p);
    return 0;
}

enum {
    K_REPORT,
    K_GRADES,
    K_TRIGGER,
    K_DEADLINE,
    K_RECIPIENT,
    K_REQ,
    K_CLAUSE,
    K_SOURCE,
    K_VERIFIED,
    K_N
};

static int reporting__row(const refcsv *c, const refcsv_row *row, const size_t *k,
                          reporting_table *t, char *err, size_t errlen)
{
    if (t->n == REPORTING_MAX_RULES)
        return refcsv_fail(c, row->line, NULL, HL_ETOOBIG, err, errlen, "more than %d rows",
                           REPORTING_MAX_RULES);
    reporting_rule *r = &t->rules[t->n];
    memset(r, 0, sizeof *r);
    r->line = row->line;
    static const char *const yn[] = {"no", "yes", NULL};
    int kind, trig, rc;
    if ((rc = refcsv_enum(c, row, k[K_REPORT], reporting__kinds, &kind, err, errlen)) < 0 ||
        (rc = refcsv_enum(c, row, k[K_TRIGGER], reporting__triggers, &trig, err, errlen)) < 0 ||
        (rc = refcsv_enum(c, row, k[K_VERIFIED], yn, &r->verified, err, errlen)) < 0)
        return rc;
    /* The triggers are code (reporting.h R1-R5): each kind of report has its own. */
    if (trig != kind)
        return refcsv_fail(c, row->line, "trigger", HL_EPARSE, err, errlen,
                           "a%s %s report becomes due on '%s', not '%s'",
                           kind == REPORT_INITIAL ? "n" : "", reporting__kinds[kind],
                           reporting__triggers[kind], reporting__triggers[trig]);
    r->kind = (report_kind)kind;
    if ((rc = reporting__grades(c, row, row->f[k[K_GRADES]], &r->grades, err, errlen)) < 0)
        return rc;
    rc = refcsv_double(c, row, k[K_DEADLINE], 0, &r->deadline_h, err, errlen);
    if (rc < 0 && rc != HL_ENOTFOUND)
        return rc;
    r->has_deadline = rc == 0;
    if (r->has_deadline && !(r->deadline_h > 0 && r->deadline_h <= REPORTING_MAX_DEADLINE_H))
        return refcsv_fail(c, row->line, "deadline_h", HL_EPARSE, err, errlen,
                           "%g is not in (0, %g] hours", r->deadline_h, REPORTING_MAX_DEADLINE_H);
    if (r->kind == REPORT_INITIAL && !r->has_deadline)
        return refcsv_fail(c, row->line, "deadline_h", HL_EPARSE, err, errlen,
                           "an initial report needs its hours");
    if ((rc = refcsv_copy(c, row, k[K_RECIPIENT], r->recipient, sizeof r->recipient, err, errlen)) <
            0 ||
        (rc = refcsv_copy(c, row, k[K_REQ], r->requirement, sizeof r->requirement, err, errlen)) <
            0 ||
        (rc = refcsv_copy(c, row, k[K_CLAUSE], r->clause, sizeof r->clause, err, errlen)) < 0 ||
        (rc = refcsv_copy(c, row, k[K_SOURCE], r->source, sizeof r->source, err, errlen)) < 0)
        return rc;
    for (int g = GRADE_IV; g <= GRADE_I; g++) {
        if (!(r->grades & (1u << g)))
            continue;
        size_t prev = t->of[kind][g];
        if (prev != (size_t)-1)
            return refcsv_fail(c, row->line, "grades", HL_EPARSE, err, errlen,
                               "a second %s row for grade %s (line %d)", reporting__kinds[kind],
                               grading_roman((grade_level)g), t->rules[prev].line);
        t->of[kind][g] = t->n;
    }
    t->n++;
    return 0;
}

int reporting_from_csv(const refcsv *c, reporting_table **out, char *err, size_t errlen)
{
    static const char *const names[K_N] = {"report",     "grades",    "trigger",
                                           "deadline_h", "recipient", "requirement",
                                           "clause",     "source",    "verified"};
    size_t k[K_N];
    int rc = refcsv_cols(c, names, K_N, k, err, errlen);
    if (rc < 0)
        return rc;
    reporting_table *t = calloc(1, sizeof *t);
    if (!t)
        return HL_ENOMEM;
    memcpy(t->file, c->file, sizeof t->file);
    memset(t->of, 0xff, sizeof t->of); /* (size_t)-1: no row yet */
    for (size_t i = 0; i < c->nrows && rc == 0; i++)
        rc = reporting__row(c, &c->rows[i], k, t, err, errlen);
    for (int kind = 0; rc == 0 && kind < REPORT_KINDS; kind++)
        for (int g = GRADE_IV; rc == 0 && g <= GRADE_I; g++)
            if (t->of[kind][g] == (size_t)-1)
                rc = refcsv_fail(c, c->header_line, "report", HL_EPARSE, err, errlen,
                                 "no %s row for grade %s", reporting__kinds[kind],
                                 grading_roman((grade_level)g));
    if (rc < 0) {
        reporting_destroy(&t);
        return rc;
    }
    *out = t;
    return 0;
}

int reporting_load(const char *path, reporting_table **out, char *err, size_t errlen)
{
    refcsv *c = NULL;
    int rc = refcsv_load(path, &c, err, errlen);
    if (rc < 0)
        return rc;
    rc = reporting_from_csv(c, out, err, errlen);
    refcsv_destroy(&c);
    return rc;
}

static int reporting__grade_ok(grade_level g)
{
    return g >= GRADE_IV && g <= GRADE_I;
}

const reporting_rule *reporting_rule_for(const reporting_table *t, report_kind kind, grade_level g)
{
    if (!t || kind < REPORT_INITIAL || kind >= REPORT_KINDS || !reporting__grade_ok(g))
        return NULL;
    return &t->rules[t->of[kind][g]];
}

/* discovery/at + the row's hours, or 0 when the row has none. */
static int64_t reporting__deadline(const reporting_table *t, report_kind kind, grade_level g,
                                   int64_t from_ms)
{
    const reporting_rule *r = reporting_rule_for(t, kind, g);
    if (!r || !r->has_deadline)
        return 0;
    return from_ms + (int64_t)llround(r->deadline_h * MS_PER_H);
}

static report_duty *reporting__find(reporting_state *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->d[i].id, id) == 0)
            return &s->d[i];
    return NULL;
}

static report_duty *reporting__kind(reporting_state *s, report_kind k)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->d[i].kind == k)
            return &s->d[i];
    return NULL;
}

static void reporting__set_why(report_duty *d, const char *why)
{
    snprintf(d->why, sizeof d->why, "%s", why ? why : "");
}

/* Append "; why" to d->why, keeping what fits. */
static void reporting__add_why(report_duty *d, const char *why)
{
    if (!why || !why[0])
        return;
    size_t used = strlen(d->why);
    if (used + 2 < sizeof d->why)
        snprintf(d->why + used, sizeof d->why - used, "%s%s", used ? "; " : "", why);
}

static report_duty *reporting__add(reporting_state *s, report_kind kind, const char *id)
{
    if (s->n == REPORTING_MAX_DUTIES) {
        /* Room for a follow-up: drop the oldest done one (the audit log keeps it). */
        size_t i;
        for (i = 0; i < s->n; i++)
            if (s->d[i].kind == REPORT_FOLLOWUP && s->d[i].done_ms)
                break;
        if (i == s->n)
            return NULL;
        memmove(&s->d[i], &s->d[i + 1], (s->n - i - 1) * sizeof s->d[0]);
        s->n--;
    }
    report_duty *d = &s->d[s->n++];
    memset(d, 0, sizeof *d);
    d->kind = kind;
    snprintf(d->id, sizeof d->id, "%s", id);
    return d;
}

int reporting_open(const reporting_table *t, grade_level g, int64_t discovered_ms, int neighbour,
                   reporting_state *out)
{
    if (!reporting__grade_ok(g) || discovered_ms <= 0)
        return HL_EINVAL;
    memset(out, 0, sizeof *out);
    out->discovered_ms = discovered_ms;
    report_duty *d = reporting__add(out, REPORT_INITIAL, "initial");
    d->grade = g;
    d->due_ms = discovered_ms;
    d->deadline_ms = reporting__deadline(t, REPORT_INITIAL, g, discovered_ms);
    reporting__set_why(d, "incident discovered");
    d = reporting__add(out, REPORT_NOTICE, "notice");
    d->grade = g;
    if (neighbour) {
        d->due_ms = discovered_ms;
        d->deadline_ms = reporting__deadline(t, REPORT_NOTICE, g, discovered_ms);
        reporting__set_why(d, "the neighbouring jurisdiction is or may be affected");
    }
    d = reporting__add(out, REPORT_FINAL, "final");
    d->grade = g;
    return 0;
}

/* The outstanding follow-up, or a new one due at at_ms. NULL when there is no room. */
static report_duty *reporting__followup(reporting_state *s, grade_level g, int64_t at_ms)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->d[i].kind == REPORT_FOLLOWUP && !s->d[i].done_ms)
            return &s->d[i];
    char id[REPORTING_ID_MAX + 1];
    snprintf(id, sizeof id, "followup-%u", s->followups + 1);
    report_duty *d = reporting__add(s, REPORT_FOLLOWUP, id);
    if (!d)
        return NULL;
    s->followups++;
    d->grade = g;
    d->due_ms = at_ms;
    return d;
}

int reporting_grade_changed(const reporting_table *t, reporting_state *s, grade_level from,
                            grade_level to, int64_t at_ms, const char *why)
{
    if (!reporting__grade_ok(to) || (from != GRADE_NONE && !reporting__grade_ok(from)) || at_ms < 0)
        return HL_EINVAL;
    for (size_t i = 0; i < s->n; i++)
        if (s->d[i].kind != REPORT_FOLLOWUP && !s->d[i].done_ms)
            s->d[i].grade = to; /* recipients of the new grade */
    report_duty *init = reporting__kind(s, REPORT_INITIAL);
    if (!init)
        return HL_EINVAL;
    int64_t tight = reporting__deadline(t, REPORT_INITIAL, to, s->discovered_ms);
    if (tight < at_ms)
        tight = at_ms;
    if (!init->done_ms) {
        /* R2: only ever tighter. */
        if (tight < init->deadline_ms)
            init->deadline_ms = tight;
        reporting__add_why(init, why);
        return 0;
    }
    /* R3: the initial report is done; a follow-up tells the change. */
    report_duty *f = reporting__followup(s, to, at_ms);
    if (!f)
        return HL_ETOOBIG;
    if (to > f->grade)
        f->grade = to;
    const reporting_rule *was = reporting_rule_for(t, REPORT_INITIAL, s->initial_grade);
    const reporting_rule *now = reporting_rule_for(t, REPORT_INITIAL, to);
    if (was && now && now->deadline_h < was->deadline_h &&
        (!f->deadline_ms || tight < f->deadline_ms))
        f->deadline_ms = tight;
    reporting__add_why(f, why);
    return 0;
}

int reporting_facts_changed(const reporting_table *t, reporting_state *s, grade_level g,
                            int64_t at_ms, const char *why)
{
    (void)t;
    if (!reporting__grade_ok(g) || at_ms < 0)
        return HL_EINVAL;
    report_duty *init = reporting__kind(s, REPORT_INITIAL);
    if (!init || !init->done_ms)
        return 0; /* the initial report will carry them */
    report_duty *f = reporting__followup(s, g, at_ms);
    if (!f)
        return HL_ETOOBIG;
    reporting__add_why(f, why);
    return 0;
}

/* Make the one report of kind due at at_ms unless it is already due or done (R4, R5). */
static int reporting__make_due(const reporting_table *t, reporting_state *s, report_kind kind,
                               grade_level g, int64_t at_ms, const char *why)
{
    if (!reporting__grade_ok(g) || at_ms < 0)
        return HL_EINVAL;
    report_duty *d = reporting__kind(s, kind);
    if (!d)
        return HL_EINVAL;
    if (d->due_ms || d->done_ms)
        return 0;
    d->grade = g;
    d->due_ms = at_ms;
    d->deadline_ms = reporting__deadline(t, kind, g, at_ms);
    reporting__set_why(d, why);
    return 0;
}

int reporting_neighbour(const reporting_table *t, reporting_state *s, grade_level g, int64_t at_ms,
                        const char *why)
{
    return reporting__make_due(t, s, REPORT_NOTICE, g, at_ms,
                               why ? why : "the neighbouring jurisdiction is or may be affected");
}

int reporting_closed(const reporting_table *t, reporting_state *s, grade_level g, int64_t at_ms)
{
    return reporting__make_due(t, s, REPORT_FINAL, g, at_ms, "incident closed");
}

int reporting_done(const reporting_table *t, reporting_state *s, const char *id, grade_level g,
                   int64_t at_ms, const char *actor, char *why, size_t whylen)
{
    (void)t;
    if (why && whylen)
        why[0] = '\0';
    if (!actor || !actor[0] || strlen(actor) > REPORTING_ACTOR_MAX || at_ms <= 0 ||
        !reporting__grade_ok(g)) {
        if (why && whylen)
            snprintf(why, whylen, "%s",
                     !actor || !actor[0] ? "who did the report must be named"
                     : at_ms <= 0        ? "the time is not after 1970"
                                         : "the actor is too long");
        return HL_EINVAL;
    }
    report_duty *d;
    if (id && strcmp(id, "followup") == 0) {
        d = reporting__followup(s, g, at_ms);
        if (!d)
            return HL_ETOOBIG;
        if (!d->why[0])
            reporting__set_why(d, "sent by the duty officer");
    } else {
        d = id ? reporting__find(s, id) : NULL;
    }
    if (!d) {
        if (why && whylen)
            snprintf(why, whylen, "no report '%.40s' (initial, notice, followup, final)",
                     id ? id : "");
        return HL_ENOTFOUND;
    }
    if (d->done_ms) {
        if (why && whylen)
            snprintf(why, whylen, "report %s was already done at %lld by %s", d->id,
                     (long long)d->done_ms, d->done_by);
        return HL_ESTATE;
    }
    if (!d->due_ms)
        d->due_ms = at_ms;
    d->done_ms = at_ms;
    snprintf(d->done_by, sizeof d->done_by, "%s", actor);
    if (d->kind == REPORT_INITIAL)
        s->initial_grade = d->grade;
    return 0;
}

report_status reporting_status(const report_duty *d, int64_t now_ms)
{
    if (d->done_ms)
        return REPORT_DONE;
    if (!d->due_ms)
        return REPORT_PENDING;
    if (d->deadline_ms && now_ms > d->deadline_ms)
        return REPORT_OVERDUE;
    return REPORT_DUE;
}

int reporting_late(const report_duty *d)
{
    return d->done_ms && d->deadline_ms && d->done_ms > d->deadline_ms;
}
