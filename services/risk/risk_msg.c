/* risk_msg.c — see risk_msg.h. */
#include "risk_msg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"

int risk_msg_check_upstream(const Hl__UpstreamQuery *q, char field[RISK_FIELD_MAX],
                            char why[RISK_WHY_MAX])
{
    field[0] = why[0] = '\0';
    if (!isfinite(q->chainage_km) || q->chainage_km < 0 || q->chainage_km > RISK_CHAINAGE_MAX) {
        snprintf(field, RISK_FIELD_MAX, "upstream.chainage_km");
        snprintf(why, RISK_WHY_MAX, "chainage_km must be a number in [0, %g] km",
                 RISK_CHAINAGE_MAX);
        return HL_EINVAL;
    }
    if (!isfinite(q->within_km) || q->within_km < 0 || q->within_km > RISK_CHAINAGE_MAX) {
        snprintf(field, RISK_FIELD_MAX, "upstream.within_km");
        snprintf(why, RISK_WHY_MAX, "within_km must be a number in [0, %g] km (0 = any)",
                 RISK_CHAINAGE_MAX);
        return HL_EINVAL;
    }
    int rc = hl_str_check(q->substance, HL_NAME_MAX, 0);
    if (rc < 0) {
        snprintf(field, RISK_FIELD_MAX, "upstream.substance");
        snprintf(why, RISK_WHY_MAX, "substance must be UTF-8 text of at most %d bytes",
                 HL_NAME_MAX);
        return rc;
    }
    return 0;
}

void risk_msg_upstream_note(const risk_register *reg, const char *substance, char *buf, size_t n)
{
    buf[0] = '\0';
    if (substance && substance[0] && risk_substance_find(reg, substance) < 0)
        snprintf(buf, n,
                 "substance '%s' is not in the register's substance table: every upstream "
                 "source is listed",
                 substance);
}

static char *rm__s(const char *s)
{
    return (char *)(s ? s : "");
}

int risk_msg_check_grade(const Hl__RiskGradeQuery *q, char field[RISK_FIELD_MAX],
                         char why[RISK_WHY_MAX])
{
    field[0] = why[0] = '\0';
    if (hl_id_check(q->source_id) < 0) {
        snprintf(field, RISK_FIELD_MAX, "grade.source_id");
        snprintf(why, RISK_WHY_MAX, "not an id (1-64 of A-Z a-z 0-9 . _ : -)");
        return HL_EINVAL;
    }
    return 0;
}

/* The message parts of one source's grades. */
typedef struct risk_msg_grades {
    Hl__Hj941Result hj;
    Hl__Hj941Medium med[HJ941_MEDIA];
    char med_refs[HJ941_MEDIA][RISK_REF_MAX];
    Hl__Gb18218Result gb;
    char alpha_ref[RISK_REF_MAX];
} risk_msg_grades;

void risk_msg_list_free(risk_msg_list *m)
{
    free(m->src_store);
    free(m->srcs);
    free(m->points);
    free(m->sub_store);
    free(m->subs);
    free(m->refs);
    free(m->comp_store);
    free(m->comps);
    free(m->grades);
    free(m->hj_store);
    free(m->hj_terms);
    free(m->hj_refs);
    free(m->gb_store);
    free(m->gb_terms);
    free(m->gb_refs);
    memset(m, 0, sizeof *m);
}

/* A citation into buf; cut at n (citations are explanations, the figures travel in their own
 * fields). */
__attribute__((format(printf, 3, 4))) static void rm__cite(char *buf, size_t n, const char *fmt,
                                                           ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
}

/* The file name without its directories, for citations. */
static const char *rm__base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static const char *rm__flag(int unverified)
{
    return unverified ? " [unverified]" : "";
}

static void rm__hj941(const risk_tables *tb, const risk_source *s, risk_msg_grades *g,
                      Hl__Hj941Term *store, Hl__Hj941Term **ptrs, char (*refs)[RISK_REF_MAX])
{
    static const char *const qn[] = {"Q0", "Q1", "Q2", "Q3"};
    static const char *const mn[] = {"", "M1", "M2", "M3", "M4"}, *const en[] = {"", "E1", "E2",
                                                                                 "E3"};
    const hj941_tables *t = tb->hj;
    const hj941_result *r = &s->grades.hj;
    Hl__Hj941Result *o = &g->hj;
    hl__hj941_result__init(o);
    o->graded = r->level != HJ941_LEVEL_NONE;
    o->q = r->q;
    o->q_band = (char *)qn[r->q_band];
    o->q_unverified = r->q_unverified;
    for (size_t i = 0; i < r->nterms; i++) {
        const hj941_term *x = &r->terms[i];
        Hl__Hj941Term *ot = &store[i];
        hl__hj941_term__init(ot);
        ot->substance = rm__s(s->grades.hj_names[i]);
        ot->q_t = x->q_t;
        ot->critical_t = x->critical_t;
        ot->ratio = x->ratio;
        ot->unverified = x->unverified;
        if (x->critical_t > 0)
            rm__cite(refs[i], RISK_REF_MAX, "HJ 941-2018 附录A %s %g t (%s:%d)%s",
                     t->subst[x->row].name, x->critical_t, rm__base(t->file_subst),
                     t->subst[x->row].line, rm__flag(x->unverified));
        else
            rm__cite(refs[i], RISK_REF_MAX, "not in HJ 941-2018 附录A as transcribed: not counted");
        ot->ref = refs[i];
        ptrs[i] = ot;
    }
    o->terms = ptrs;
    o->n_terms = r->nterms;
    const hj941_band *qb;
    hj941_q_band(t, r->q, &qb);
    for (int k = 0; k < HJ941_MEDIA; k++) {
        const hj941_medium *m = &r->med[k];
        Hl__Hj941Medium *om = &g->med[k];
        hl__hj941_medium__init(om);
        om->medium = (char *)hj941_medium_name(k);
        om->m = m->m;
        om->m_band = (char *)mn[m->m_band];
        om->e = (char *)en[m->e];
        om->level = (char *)hj941_level_name(m->level);
        om->label = (char *)m->label;
        om->unverified = m->unverified;
        char *ref = g->med_refs[k];
        ref[0] = '\0';
        if (m->level && r->q_band == 0) {
            rm__cite(ref, RISK_REF_MAX, "Q %.4g < 1 (%s:%d%s): 一般 whatever M and E (%s:%d)%s",
                     r->q, rm__base(t->file_bands), qb->line, rm__flag(qb->unverified),
                     rm__base(t->file_matrix), m->cell_line, rm__flag(t->q0.unverified));
        } else if (m->level) {
            const hj941_band *mb;
            hj941_m_band(t, m->m, &mb);
            rm__cite(ref, RISK_REF_MAX,
                     "Q %.4g → %s (%s:%d%s); M %g = %g + %g → %s (%s:%d%s); E%d-Q%d-M%d → %s "
                     "(%s:%d%s)",
                     r->q, qn[r->q_band], rm__base(t->file_bands), qb->line,
                     rm__flag(qb->unverified), m->m, s->hj941.process_score,
                     s->hj941.control_score[k], mb->name, rm__base(t->file_bands), mb->line,
                     rm__flag(mb->unverified), m->e, r->q_band, m->m_band,
                     hj941_level_name(m->level), rm__base(t->file_matrix), m->cell_line,
                     rm__flag(t->cells[m->e - 1][r->q_band - 1][m->m_band - 1].unverified));
        }
        om->ref = ref;
    }
    o->air = &g->med[HJ941_AIR];
    o->water = &g->med[HJ941_WATER];
    o->level = (char *)hj941_level_name(r->level);
    o->label = (char *)r->label;
    o->unverified = r->unverified;
    o->inputs_assumed = s->hj941.given && s->hj941.assumed;
    o->note = (char *)s->grades.hj_note;
}

static void rm__gb18218(const risk_tables *tb, const risk_source *s, risk_msg_grades *g,
                        Hl__Gb18218Term *store, Hl__Gb18218Term **ptrs,
                        char (*refs)[2][RISK_REF_MAX])
{
    const gb18218_tables *t = tb->gb;
    const gb18218_result *r = &s->grades.gb;
    Hl__Gb18218Result *o = &g->gb;
    hl__gb18218_result__init(o);
    o->s = r->s;
    o->major = r->major;
    o->graded = r->graded;
    o->people = s->gb18218.given ? s->gb18218.people : 0;
    for (size_t i = 0; i < r->nterms; i++) {
        const gb18218_term *x = &r->terms[i];
        Hl__Gb18218Term *ot = &store[i];
        hl__gb18218_term__init(ot);
        ot->substance = rm__s(s->grades.gb_names[i]);
        ot->q_t = x->q_t;
        ot->critical_t = x->critical_t;
        ot->ratio = x->ratio;
        ot->q_unverified = x->q_unverified;
        if (x->q_t1 >= 0) {
            const gb18218_t1 *row = &t->t1[x->q_t1];
            rm__cite(refs[i][0], RISK_REF_MAX, "GB 18218-2018 表1 序号%d %s %g t (%s:%d)%s",
                     row->seq, row->name, row->critical_t, rm__base(t->file_t1), row->line,
                     rm__flag(row->unverified));
        } else {
            const gb18218_class *c = &t->classes[x->q_class];
            rm__cite(refs[i][0], RISK_REF_MAX,
                     "GB 18218-2018 表2 %s %g t, lowest of its classes (%s:%d)%s", c->symbol,
                     c->critical_t, rm__base(t->file_t24), c->line, rm__flag(c->unverified));
        }
        ot->beta = x->beta;
        ot->beta_alt = x->beta_alt;
        ot->beta_disputed = x->beta_disputed;
        ot->beta_unverified = x->beta_unverified;
        if (x->beta_gas >= 0) {
            const gb18218_gas *gs = &t->gases[x->beta_gas];
            rm__cite(refs[i][1], RISK_REF_MAX, "GB 18218-2018 表3 %s β=%g (%s:%d)%s", gs->name,
                     gs->beta, rm__base(t->file_bar), gs->line, rm__flag(gs->unverified));
        } else {
            const gb18218_class *c = &t->classes[x->beta_class];
            char disputed[96] = "";
            if (x->beta_disputed)
                snprintf(disputed, sizeof disputed,
                         " (disputed: the sources give %g and %g; R also with β=%g)", c->beta[0],
                         c->beta[1], x->beta_alt);
            rm__cite(refs[i][1], RISK_REF_MAX, "GB 18218-2018 表4 %s β=%g%s (%s:%d)%s", c->symbol,
                     x->beta, disputed, rm__base(t->file_t24), c->line, rm__flag(c->unverified));
        }
        ot->q_ref = refs[i][0];
        ot->beta_ref = refs[i][1];
        ptrs[i] = ot;
    }
    o->terms = ptrs;
    o->n_terms = r->nterms;
    g->alpha_ref[0] = '\0';
    if (r->graded) {
        o->alpha = r->alpha;
        rm__cite(g->alpha_ref, RISK_REF_MAX, "GB 18218-2018 表5 %s α=%g (%s:%d)%s",
                 r->alpha_row->name, r->alpha, rm__base(t->file_bar), r->alpha_row->line,
                 rm__flag(r->alpha_row->unverified));
        o->r = r->r;
        o->grade = (uint32_t)r->grade;
        o->grade_name = (char *)gb18218_grade_name(r->grade);
        o->r_alt = r->r_alt;
        o->grade_alt = (uint32_t)r->grade_alt;
    }
    o->alpha_ref = g->alpha_ref;
    if (!o->grade_name)
        o->grade_name = "";
    o->depends_on_disputed = r->depends_on_disputed;
    o->unverified = r->unverified;
    o->inputs_assumed = s->gb18218.given && s->gb18218.assumed;
    o->note = (char *)s->grades.gb_note;
}

/* A mixture: its name, whole mass and components (the critical quantities are its
 * components'; see their own rows). */
static void rm__mixture(const risk_register *reg, const risk_holding *h, Hl__RiskSubstance *o,
                        Hl__MixtureComponent *store, Hl__MixtureComponent **ptrs, char refs[2][64])
{
    hl__risk_substance__init(o);
    o->name = rm__s(h->mixture);
    o->cas = "";
    o->max_quantity_t = h->max_quantity_t;
    o->max_quantity_assumed = h->max_quantity_assumed;
    o->mixture = 1;
    refs[0][0] = refs[1][0] = '\0';
    o->gb18218_ref = refs[0];
    o->hj941_ref = refs[1];
    o->note = "";
    for (size_t c = 0; c < h->ncomponents; c++) {
        hl__mixture_component__init(&store[c]);
        store[c].name = rm__s(reg->substances[h->components[c].substance].name);
        store[c].fraction = h->components[c].fraction;
        ptrs[c] = &store[c];
    }
    o->components = ptrs;
    o->n_components = h->ncomponents;
}

static void rm__substance(const risk_register *reg, const risk_holding *h, Hl__RiskSubstance *o,
                          char refs[2][64])
{
    const risk_substance *s = &reg->substances[h->substance];
    hl__risk_substance__init(o);
    o->name = rm__s(s->name);
    o->cas = rm__s(s->cas);
    o->max_quantity_t = h->max_quantity_t;
    o->max_quantity_assumed = h->max_quantity_assumed;
    refs[0][0] = refs[1][0] = '\0';
    if (s->gb18218_listed) {
        o->critical_quantity_t = s->gb18218_t;
        o->unverified = s->gb18218_unverified;
        snprintf(refs[0], 64, "GB 18218-2018 表1 序号%d", s->gb18218_row);
    }
    if (s->hj941_listed) {
        o->hj941_critical_quantity_t = s->hj941_t;
        o->hj941_unverified = s->hj941_unverified;
        snprintf(refs[1], 64, "HJ 941-2018 附录A");
    }
    o->gb18218_ref = refs[0];
    o->hj941_ref = refs[1];
    o->note = rm__s(s->note);
}

int risk_msg_list_build(const risk_register *reg, const risk_tables *tables, const size_t *idx,
                        size_t n, double from_km, int truncated_in, size_t max_bytes,
                        risk_msg_list *out)
{
    memset(out, 0, sizeof *out);
    size_t nsub = 0, ncomp = 0, nhj = 0, ngb = 0;
    for (size_t i = 0; i < n; i++) {
        const risk_source *s = &reg->sources[idx[i]];
        nsub += s->nholdings;
        for (size_t j = 0; j < s->nholdings; j++)
            ncomp += s->holdings[j].ncomponents;
        nhj += s->grades.hj.nterms;
        ngb += s->grades.gb.nterms;
    }
    /* calloc(0) may return NULL: ask for one element at least. */
#define RM_ALLOC(p, count) ((p) = calloc((count) ? (count) : 1, sizeof *(p)))
    if (!RM_ALLOC(out->src_store, n) || !RM_ALLOC(out->srcs, n) || !RM_ALLOC(out->points, n) ||
        !RM_ALLOC(out->sub_store, nsub) || !RM_ALLOC(out->subs, nsub) ||
        !RM_ALLOC(out->refs, nsub) || !RM_ALLOC(out->comp_store, ncomp) ||
        !RM_ALLOC(out->comps, ncomp) || !RM_ALLOC(out->grades, tables ? n : 0) ||
        !RM_ALLOC(out->hj_store, nhj) || !RM_ALLOC(out->hj_terms, nhj) ||
        !RM_ALLOC(out->hj_refs, nhj) || !RM_ALLOC(out->gb_store, ngb) ||
        !RM_ALLOC(out->gb_terms, ngb) || !RM_ALLOC(out->gb_refs, ngb)) {
        risk_msg_list_free(out);
        return HL_ENOMEM;
    }
#undef RM_ALLOC
    Hl__RiskSourceList *l = &out->list;
    hl__risk_source_list__init(l);
    l->sources = out->srcs;
    l->truncated = truncated_in ? 1 : 0;
    l->note = out->note;
    /* Tag + length prefix of the list field and of each source: a few bytes each. */
    size_t bytes = 8, k = 0, kc = 0, khj = 0, kgb = 0;
    for (size_t i = 0; i < n; i++) {
        const risk_source *s = &reg->sources[idx[i]];
        Hl__RiskSource *o = &out->src_store[i];
        hl__risk_source__init(o);
        o->id = rm__s(s->id);
        o->name = rm__s(s->name);
        o->kind = rm__s(s->kind);
        o->park = rm__s(s->park);
        o->outfall_chainage_km = s->outfall_km;
        o->jurisdiction = rm__s(s->jurisdiction);
        o->unit_id = rm__s(s->unit_id);
        if (s->has_location) {
            Hl__GeoPoint *p = &out->points[i];
            hl__geo_point__init(p);
            p->lat = s->lat;
            p->lon = s->lon;
            p->confidence = rm__s(s->confidence);
            o->location = p;
        }
        o->location_note = rm__s(s->location_note);
        o->assumption = rm__s(s->assumption);
        o->note = rm__s(s->note);
        o->distance_km = from_km >= 0 ? from_km - s->outfall_km : 0;
        o->substances = &out->subs[k];
        for (size_t j = 0; j < s->nholdings; j++, k++) {
            const risk_holding *h = &s->holdings[j];
            if (h->is_mixture) {
                rm__mixture(reg, h, &out->sub_store[k], &out->comp_store[kc], &out->comps[kc],
                            out->refs[k]);
                kc += h->ncomponents;
            } else {
                rm__substance(reg, h, &out->sub_store[k], out->refs[k]);
            }
            out->subs[k] = &out->sub_store[k];
        }
        o->n_substances = s->nholdings;
        if (tables && s->grades.done) {
            rm__hj941(tables, s, &out->grades[i], &out->hj_store[khj], &out->hj_terms[khj],
                      &out->hj_refs[khj]);
            rm__gb18218(tables, s, &out->grades[i], &out->gb_store[kgb], &out->gb_terms[kgb],
                        &out->gb_refs[kgb]);
            khj += s->grades.hj.nterms;
            kgb += s->grades.gb.nterms;
            o->hj941 = &out->grades[i].hj;
            o->gb18218 = &out->grades[i].gb;
        }
        size_t sz = protobuf_c_message_get_packed_size(&o->base) + 8;
        if (bytes + sz > max_bytes) {
            l->truncated = 1;
            break;
        }
        bytes += sz;
        out->srcs[l->n_sources++] = o;
    }
    return 0;
}
