/* risk — the register of risk sources, their grades, and the upstream trace-back.
 *
 * Requests (docs/protocol.md), all read-only queries; every source goes out with its
 * HJ 941-2018 and GB 18218-2018 grades and the figures behind them (risk_grade.h):
 *   risk.upstream  UpstreamQuery → RiskSourceList  sources at or upstream of a chainage,
 *                                                  nearest first (upstream.h)
 *   risk.list      ListQuery → RiskSourceList      all sources in file order (id: one source;
 *                                                  unit_id: the sources a unit answers for)
 *   risk.grade     RiskGradeQuery → RiskSource     one source by id (HL_ENOTFOUND, field
 *                                                  grade.source_id, when there is none)
 *
 * Data, read at start: <playbooks>/<plan>/risk_sources.yaml and the HJ 941 and GB 18218
 * tables in <playbooks>/reference (hj941.h, gb18218.h). The register is data, not state:
 * nothing is written to the service's store, and a corrected file takes effect at the next
 * start. A register that disagrees with a table stops the start with "file:line: what".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/hl_svc.h"
#include "risk_data.h"
#include "risk_grade.h"
#include "risk_msg.h"

typedef struct risk_app {
    risk_register *reg;
    risk_tables tables;
    size_t max_reply; /* byte budget of a list reply */
} risk_app;

static ProtobufCMessage *payload(hl_req *r, const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *m = hl_msg_unpack(desc, r->env->payload.data, r->env->payload.len);
    if (!m)
        hl_req_fail(r, HL_EDECODE, "payload", "%s payload is not a %s", r->env->type,
                    desc->short_name);
    return m;
}

/* substance: of an upstream query (its note), or NULL. */
static int reply_list(hl_req *r, risk_app *app, const size_t *idx, size_t n, double from_km,
                      int truncated, const char *substance)
{
    risk_msg_list m;
    int rc =
        risk_msg_list_build(app->reg, &app->tables, idx, n, from_km, truncated, app->max_reply, &m);
    if (rc < 0)
        return hl_req_fail(r, rc, "", "the answer cannot be built: %s", hl_strerror(rc));
    /* The note is a few hundred bytes at most: max_reply leaves 8 KiB for the envelope. */
    risk_msg_upstream_note(app->reg, substance, m.note, sizeof m.note);
    rc = hl_req_reply(r, r->env->type, &m.list.base);
    risk_msg_list_free(&m);
    return rc;
}

static int on_upstream(hl_req *r, void *ud)
{
    risk_app *app = ud;
    char field[RISK_FIELD_MAX], why[RISK_WHY_MAX];
    size_t idx[RISK_SOURCES_MAX], n = 0;
    Hl__UpstreamQuery *q = (Hl__UpstreamQuery *)payload(r, &hl__upstream_query__descriptor);
    if (!q)
        return HL_EDECODE;
    int rc = risk_msg_check_upstream(q, field, why);
    if (rc < 0) {
        rc = hl_req_fail(r, rc, field, "%s", why);
    } else {
        /* The register holds at most RISK_SOURCES_MAX sources, so idx never overflows. */
        rc = risk_upstream_find(app->reg, q->chainage_km, q->within_km, q->substance, idx,
                                RISK_SOURCES_MAX, &n);
        rc = rc < 0 && rc != HL_ETOOBIG
                 ? hl_req_fail(r, rc, "upstream", "query refused: %s", hl_strerror(rc))
                 : reply_list(r, app, idx, n, q->chainage_km, rc == HL_ETOOBIG, q->substance);
    }
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return rc;
}

static int on_list(hl_req *r, void *ud)
{
    risk_app *app = ud;
    size_t idx[RISK_SOURCES_MAX], n = 0;
    int truncated = 0, rc = 0;
    Hl__ListQuery *q = (Hl__ListQuery *)payload(r, &hl__list_query__descriptor);
    if (!q)
        return HL_EDECODE;
    if ((q->id && q->id[0] && hl_id_check(q->id) < 0) ||
        (q->unit_id && q->unit_id[0] && hl_id_check(q->unit_id) < 0))
        rc = hl_req_fail(r, HL_EINVAL,
                         q->id && q->id[0] && hl_id_check(q->id) < 0 ? "query.id" : "query.unit_id",
                         "not an id (1-64 of A-Z a-z 0-9 . _ : -)");
    size_t limit = q->limit && q->limit < RISK_SOURCES_MAX ? q->limit : RISK_SOURCES_MAX;
    for (size_t i = 0; rc == 0 && i < app->reg->nsources; i++) {
        const risk_source *s = &app->reg->sources[i];
        if (q->id && q->id[0] && strcmp(q->id, s->id) != 0)
            continue;
        if (q->unit_id && q->unit_id[0] && strcmp(q->unit_id, s->unit_id) != 0)
            continue;
        if (n == limit) {
            truncated = 1;
            break;
        }
        idx[n++] = i;
    }
    if (rc == 0)
        rc = reply_list(r, app, idx, n, -1, truncated, NULL);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return rc;
}

static int on_grade(hl_req *r, void *ud)
{
    risk_app *app = ud;
    char field[RISK_FIELD_MAX], why[RISK_WHY_MAX];
    Hl__RiskGradeQuery *q = (Hl__RiskGradeQuery *)payload(r, &hl__risk_grade_query__descriptor);
    if (!q)
        return HL_EDECODE;
    int rc = risk_msg_check_grade(q, field, why);
    size_t i = 0;
    while (rc == 0 && i < app->reg->nsources && strcmp(app->reg->sources[i].id, q->source_id))
        i++;
    if (rc < 0) {
        rc = hl_req_fail(r, rc, field, "%s", why);
    } else if (i == app->reg->nsources) {
        rc = hl_req_fail(r, HL_ENOTFOUND, "grade.source_id", "no risk source '%s'", q->source_id);
    } else {
        risk_msg_list m;
        /* One source always fits: the reply budget is the message size less 8 KiB. */
        rc = risk_msg_list_build(app->reg, &app->tables, &i, 1, -1, 0, app->max_reply, &m);
        if (rc < 0)
            rc = hl_req_fail(r, rc, "", "the answer cannot be built: %s", hl_strerror(rc));
        else if (m.list.n_sources == 0)
            rc = hl_req_fail(r, HL_ETOOBIG, "", "source '%s' does not fit in one reply",
                             q->source_id);
        else
            rc = hl_req_reply(r, r->env->type, &m.list.sources[0]->base);
        risk_msg_list_free(&m);
    }
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return rc;
}

/* Register, tables, grades: any error names file and line. */
static int load_data(const hl_config *cfg, risk_app *app, char *err, size_t errlen)
{
    char path[2 * HL_PATH_MAX];
    /* playbook_dir and plan are bounded by hl_config (HL_PATH_MAX, 64): path always fits. */
    snprintf(path, sizeof path, "%s/%s/risk_sources.yaml", cfg->playbook_dir, cfg->plan);
    int rc = risk_sources_load(path, &app->reg, err, errlen);
    if (rc < 0)
        return rc;
    snprintf(path, sizeof path, "%s/reference", cfg->playbook_dir);
    if ((rc = risk_tables_load(path, &app->tables, err, errlen)) < 0 ||
        (rc = risk_grade_bind(app->reg, &app->tables, err, errlen)) < 0)
        return rc;
    hl_info("risk register: %zu sources, %zu substances, graded by the tables in %s",
            app->reg->nsources, app->reg->nsubstances, path);
    return 0;
}

int main(int argc, char **argv)
{
    hl_config cfg;
    int argi = 0;
    char err[1024];
    risk_app app = {0};
    if (hl_main_args(argc, argv, "risk", &cfg, &argi) < 0)
        return 2;
    if (argi < argc) {
        fprintf(stderr, "risk: unknown argument '%s' (see --help)\n", argv[argi]);
        return 2;
    }
    if (load_data(&cfg, &app, err, sizeof err) < 0) {
        hl_error("%s", err);
        free(app.reg);
        risk_tables_free(&app.tables);
        return 1;
    }
    app.max_reply = cfg.max_msg_bytes > 8192 ? cfg.max_msg_bytes - 8192 : cfg.max_msg_bytes / 2;

    uv_loop_t loop;
    hl_svc *svc = NULL;
    int rc = uv_loop_init(&loop);
    if (rc == 0 && (rc = hl_svc_new(&loop, "risk", &cfg, &svc, err, sizeof err)) < 0)
        hl_error("%s", err);
    if (rc == 0 && ((rc = hl_svc_on(svc, "risk.upstream", on_upstream, &app, HL_H_QUERY)) < 0 ||
                    (rc = hl_svc_on(svc, "risk.list", on_list, &app, HL_H_QUERY)) < 0 ||
                    (rc = hl_svc_on(svc, "risk.grade", on_grade, &app, HL_H_QUERY)) < 0))
        hl_error("risk: cannot register handlers: %s", hl_strerror(rc));
    if (rc == 0)
        rc = hl_svc_run(svc);
    hl_svc_destroy(&svc);
    uv_loop_close(&loop);
    free(app.reg);
    risk_tables_free(&app.tables);
    return rc == 0 ? 0 : 1;
}
