/* risk_msg.c — see risk_msg.h. */
#include "risk_msg.h"

#include <math.h>
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

void risk_msg_list_free(risk_msg_list *m)
{
    free(m->src_store);
    free(m->srcs);
    free(m->points);
    free(m->sub_store);
    free(m->subs);
    free(m->refs);
    memset(m, 0, sizeof *m);
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

int risk_msg_list_build(const risk_register *reg, const size_t *idx, size_t n, double from_km,
                        int truncated_in, size_t max_bytes, risk_msg_list *out)
{
    memset(out, 0, sizeof *out);
    size_t nsub = 0;
    for (size_t i = 0; i < n; i++)
        nsub += reg->sources[idx[i]].nholdings;
    out->src_store = calloc(n ? n : 1, sizeof *out->src_store);
    out->srcs = calloc(n ? n : 1, sizeof *out->srcs);
    out->points = calloc(n ? n : 1, sizeof *out->points);
    out->sub_store = calloc(nsub ? nsub : 1, sizeof *out->sub_store);
    out->subs = calloc(nsub ? nsub : 1, sizeof *out->subs);
    out->refs = calloc(nsub ? nsub : 1, sizeof *out->refs);
    if (!out->src_store || !out->srcs || !out->points || !out->sub_store || !out->subs ||
        !out->refs) {
        risk_msg_list_free(out);
        return HL_ENOMEM;
    }
    Hl__RiskSourceList *l = &out->list;
    hl__risk_source_list__init(l);
    l->sources = out->srcs;
    l->truncated = truncated_in ? 1 : 0;
    l->note = out->note;
    /* Tag + length prefix of the list field and of each source: a few bytes each. */
    size_t bytes = 8, k = 0;
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
            rm__substance(reg, &s->holdings[j], &out->sub_store[k], out->refs[k]);
            out->subs[k] = &out->sub_store[k];
        }
        o->n_substances = s->nholdings;
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
