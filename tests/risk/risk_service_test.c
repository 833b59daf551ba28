/* risk_service_test — the risk service as a real process over ZeroMQ: upstream queries on the
 * shipped register, the list query, and bad queries answered with the field named. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "risk.pb-c.h"
#include "svc_fixture.h"

static int setup(void **state)
{
    return svc_fx_setup(state, "risk");
}

static Hl__RiskSourceList *upstream(svc_fx *f, double km, double within, const char *substance)
{
    Hl__UpstreamQuery q = HL__UPSTREAM_QUERY__INIT;
    ProtobufCMessage *out = NULL;
    q.chainage_km = km;
    q.within_km = within;
    q.substance = (char *)(substance ? substance : "");
    int rc =
        svc_fx_call(f, "risk.upstream", &q.base, &hl__risk_source_list__descriptor, &out, NULL, 0);
    if (rc < 0)
        fprintf(stderr, "risk.upstream: %s\n", f->err);
    assert_int_equal(rc, 0);
    return (Hl__RiskSourceList *)out;
}

static void risk_service_upstream(void **state)
{
    svc_fx *f = *state;
    /* Benzene at 黄沟二库 (km 52): the park outfall at km 28 (24 km up), then Dushanzi
     * Petrochemical at km 22 (30 km up); the corps park at km 75 lies downstream. */
    Hl__RiskSourceList *l = upstream(f, 52, 0, "苯");
    assert_int_equal(l->n_sources, 2);
    assert_false(l->truncated);
    assert_string_equal(l->sources[0]->id, "rs-kd-etdz");
    assert_float_equal(l->sources[0]->distance_km, 24, 1e-9);
    assert_null(l->sources[0]->location);
    assert_non_null(strstr(l->sources[0]->location_note, "No coordinates found"));
    const Hl__RiskSource *p = l->sources[1];
    assert_string_equal(p->id, "rs-dsz-petro");
    assert_float_equal(p->outfall_chainage_km, 22, 0);
    assert_string_equal(p->unit_id, "dsz-petro-ert");
    assert_string_equal(p->jurisdiction, "local");
    assert_non_null(p->location);
    assert_non_null(strstr(p->location->confidence, "proxy"));
    assert_true(p->assumption[0] != '\0');
    /* GB 18218-2018 表1 序号57 苯 50 t; HJ 941-2018 附录A 苯 10 t [unverified]. */
    assert_string_equal(p->substances[0]->name, "苯");
    assert_float_equal(p->substances[0]->critical_quantity_t, 50, 0);
    assert_false(p->substances[0]->unverified);
    assert_float_equal(p->substances[0]->hj941_critical_quantity_t, 10, 0);
    assert_true(p->substances[0]->hj941_unverified);
    assert_true(p->substances[0]->max_quantity_assumed);
    protobuf_c_message_free_unpacked(&l->base, NULL);

    /* Within 5 km of the st-dsz-down station (km 25): only the refinery (3 km). */
    l = upstream(f, 25, 5, NULL);
    assert_int_equal(l->n_sources, 1);
    assert_string_equal(l->sources[0]->id, "rs-dsz-petro");
    protobuf_c_message_free_unpacked(&l->base, NULL);
    /* Crude oil by an alias, from 车排子 (km 95): only the refinery holds it. */
    l = upstream(f, 95, 0, "石油类");
    assert_int_equal(l->n_sources, 1);
    assert_string_equal(l->sources[0]->id, "rs-dsz-petro");
    protobuf_c_message_free_unpacked(&l->base, NULL);
    /* Everything from far downstream, nearest first. */
    l = upstream(f, 210, 0, NULL);
    assert_int_equal(l->n_sources, 3);
    assert_string_equal(l->sources[0]->id, "rs-hyh-etdz");
    assert_string_equal(l->sources[2]->id, "rs-dsz-petro");
    protobuf_c_message_free_unpacked(&l->base, NULL);
    /* COD (化学需氧量) is no registered substance: not used to filter, and the note says so. */
    l = upstream(f, 52, 0, "化学需氧量");
    assert_int_equal(l->n_sources, 2);
    assert_non_null(strstr(l->note, "'化学需氧量' is not in the register's substance table"));
    protobuf_c_message_free_unpacked(&l->base, NULL);
    l = upstream(f, 52, 0, "甲醇"); /* known: only the park at km 28 holds it upstream */
    assert_int_equal(l->n_sources, 1);
    assert_string_equal(l->note, "");
    protobuf_c_message_free_unpacked(&l->base, NULL);
    /* At 老龙口 (km 14), above every outfall: none. */
    l = upstream(f, 14, 0, NULL);
    assert_int_equal(l->n_sources, 0);
    protobuf_c_message_free_unpacked(&l->base, NULL);
}

static void risk_service_list_and_bad_queries(void **state)
{
    svc_fx *f = *state;
    Hl__ListQuery lq = HL__LIST_QUERY__INIT;
    ProtobufCMessage *out = NULL;
    char field[128];
    assert_int_equal(
        svc_fx_call(f, "risk.list", &lq.base, &hl__risk_source_list__descriptor, &out, NULL, 0), 0);
    Hl__RiskSourceList *l = (Hl__RiskSourceList *)out;
    assert_int_equal(l->n_sources, 3);
    assert_string_equal(l->sources[0]->id, "rs-dsz-petro");
    assert_string_equal(l->sources[2]->jurisdiction, "corps");
    protobuf_c_message_free_unpacked(out, NULL);
    lq.unit_id = "xj7-eeb";
    assert_int_equal(
        svc_fx_call(f, "risk.list", &lq.base, &hl__risk_source_list__descriptor, &out, NULL, 0), 0);
    l = (Hl__RiskSourceList *)out;
    assert_int_equal(l->n_sources, 1);
    assert_string_equal(l->sources[0]->id, "rs-hyh-etdz");
    protobuf_c_message_free_unpacked(out, NULL);
    lq.unit_id = "";
    lq.limit = 2;
    assert_int_equal(
        svc_fx_call(f, "risk.list", &lq.base, &hl__risk_source_list__descriptor, &out, NULL, 0), 0);
    l = (Hl__RiskSourceList *)out;
    assert_int_equal(l->n_sources, 2);
    assert_true(l->truncated);
    protobuf_c_message_free_unpacked(out, NULL);

    Hl__UpstreamQuery q = HL__UPSTREAM_QUERY__INIT;
    q.chainage_km = -1;
    assert_int_equal(svc_fx_call(f, "risk.upstream", &q.base, &hl__risk_source_list__descriptor,
                                 &out, field, sizeof field),
                     HL_EINVAL);
    assert_string_equal(field, "upstream.chainage_km");
    q.chainage_km = 30;
    q.within_km = NAN;
    assert_int_equal(svc_fx_call(f, "risk.upstream", &q.base, &hl__risk_source_list__descriptor,
                                 &out, field, sizeof field),
                     HL_EINVAL);
    assert_string_equal(field, "upstream.within_km");
    lq.limit = 0;
    lq.id = "rs dsz";
    assert_int_equal(svc_fx_call(f, "risk.list", &lq.base, &hl__risk_source_list__descriptor, &out,
                                 field, sizeof field),
                     HL_EINVAL);
    assert_string_equal(field, "query.id");
    /* Still answering after the refusals. */
    l = upstream(f, 30, 0, NULL);
    assert_int_equal(l->n_sources, 2);
    protobuf_c_message_free_unpacked(&l->base, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(risk_service_upstream, setup, svc_fx_teardown),
        cmocka_unit_test_setup_teardown(risk_service_list_and_bad_queries, setup, svc_fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
