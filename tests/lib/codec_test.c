/* Envelope codec: round trip, bounds, garbage, id rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"

static void test_id_rules(void **state)
{
    (void)state;
    static const struct { const char *id; int ok; } cases[] = {
        {"alert-0190abc", 1},
        {"a", 1},
        {"A.b_c:d-9", 1},
        {"", 0},
        {"has space", 0},
        {"slash/no", 0},
        {"ünicode", 0},
        {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1}, /* 64 */
        {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0}, /* 65 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_int_equal(hl_id_check(cases[i].id), cases[i].ok ? 0 : HL_EINVAL);
    assert_int_equal(hl_id_check(NULL), HL_EINVAL);

    char a[HL_ID_MAX + 1], b[HL_ID_MAX + 1];
    hl_id_new("alert", a);
    hl_id_new("alert", b);
    assert_int_equal(hl_id_check(a), 0);
    assert_string_not_equal(a, b);
    assert_memory_equal(a, "alert-", 6);
    assert_int_equal(strlen(a), 6 + 13 + 16);
    /* A long or odd prefix is cut to 16 bytes and made valid. */
    hl_id_new("a very long prefix with spaces", a);
    assert_int_equal(hl_id_check(a), 0);
    assert_int_equal(strlen(a), 16 + 1 + 29);
    hl_id_new(NULL, a);
    assert_int_equal(hl_id_check(a), 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    Hl__ServiceStatus st = HL__SERVICE_STATUS__INIT;
    st.service = "alert";
    st.requests = 42;
    Hl__Envelope *e = NULL;
    assert_int_equal(hl_env_build("alert", "status", &st.base, "req-1", "idem-1", &e), 0);
    uint8_t *buf;
    size_t len;
    assert_int_equal(hl_env_pack(e, &buf, &len), 0);
    Hl__Envelope *d = NULL;
    char why[256] = "";
    assert_int_equal(hl_env_unpack(buf, len, 0, &d, why, sizeof why), 0);
    assert_string_equal(d->msg_id, e->msg_id);
    assert_string_equal(d->type, "status");
    assert_string_equal(d->correlation_id, "req-1");
    assert_string_equal(d->idempotency_key, "idem-1");
    assert_string_equal(d->sender_unit, "alert");
    assert_true(d->sent_ms > 0);
    Hl__ServiceStatus *p = (Hl__ServiceStatus *)hl_msg_unpack(&hl__service_status__descriptor,
                                                              d->payload.data, d->payload.len);
    assert_non_null(p);
    assert_string_equal(p->service, "alert");
    assert_int_equal(p->requests, 42);
    protobuf_c_message_free_unpacked(&p->base, NULL);

    /* Error replies carry code, field and message; correlation = request id. */
    Hl__Envelope *er = NULL;
    assert_int_equal(hl_env_build_error("stock", d, HL_EINVAL, "reading.unit", "bad unit", &er),
                     0);
    assert_string_equal(er->correlation_id, d->msg_id);
    assert_string_equal(er->type, "status");
    assert_int_equal(er->error->code, HL_EINVAL);
    assert_string_equal(er->error->field, "reading.unit");
    assert_string_equal(er->error->message, "bad unit");
    uint8_t *b2;
    size_t l2;
    assert_int_equal(hl_env_pack(er, &b2, &l2), 0);
    Hl__Envelope *er2 = NULL;
    assert_int_equal(hl_env_unpack(b2, l2, 0, &er2, NULL, 0), 0);
    assert_int_equal(er2->error->code, HL_EINVAL);
    free(b2);
    hl_env_free(&er2);
    hl_env_free(&er);
    assert_null(er);

    /* No request at all (undecodable input): type "error", no correlation. */
    assert_int_equal(hl_env_build_error("stock", NULL, HL_EDECODE, NULL, NULL, &er), 0);
    assert_string_equal(er->type, "error");
    assert_string_equal(er->correlation_id, "");
    assert_string_equal(er->error->message, hl_strerror(HL_EDECODE));
    hl_env_free(&er);

    free(buf);
    hl_env_free(&d);
    hl_env_free(&e);
    hl_env_free(&e); /* NULL is fine */
    hl_env_free(NULL);
}

/* Pack a hand-made envelope and return what unpack says. */
static int unpack_rc(Hl__Envelope *e, char *why, size_t n)
{
    uint8_t *buf;
    size_t len;
    assert_int_equal(hl_env_pack(e, &buf, &len), 0);
    Hl__Envelope *d = (Hl__Envelope *)1;
    int rc = hl_env_unpack(buf, len, 0, &d, why, n);
    if (rc < 0) assert_null(d);
    hl_env_free(&d);
    free(buf);
    return rc;
}

static void test_bad_fields(void **state)
{
    (void)state;
    char why[256];
    Hl__Envelope e = HL__ENVELOPE__INIT;
    e.msg_id = "m-1";
    e.type = "alert.reading";
    assert_int_equal(unpack_rc(&e, why, sizeof why), 0);

    e.msg_id = "";
    assert_int_equal(unpack_rc(&e, why, sizeof why), HL_EINVAL);
    assert_non_null(strstr(why, "msg_id"));
    e.msg_id = "bad id";
    assert_int_equal(unpack_rc(&e, why, sizeof why), HL_EINVAL);
    e.msg_id = "m-1";

    static const char *const bad_types[] = {"", "Alert", "a b", "x/y",
        "a234567890123456789012345678901234567890123456789"}; /* 49 > HL_TYPE_MAX */
    for (size_t i = 0; i < sizeof bad_types / sizeof *bad_types; i++) {
        e.type = (char *)bad_types[i];
        assert_int_equal(unpack_rc(&e, why, sizeof why), HL_EINVAL);
        assert_non_null(strstr(why, "type"));
    }
    e.type = "a23456789012345678901234567890123456789012345678"; /* exactly 48 */
    assert_int_equal(unpack_rc(&e, why, sizeof why), 0);
    e.type = "status";

    e.correlation_id = "no spaces allowed";
    assert_int_equal(unpack_rc(&e, why, sizeof why), HL_EINVAL);
    assert_non_null(strstr(why, "correlation_id"));
    assert_non_null(strstr(why, "m-1")); /* names the message */
    e.correlation_id = "";
    e.idempotency_key = "bad\x01";
    assert_int_equal(unpack_rc(&e, why, sizeof why), HL_EINVAL);
    assert_non_null(strstr(why, "idempotency_key"));
    e.idempotency_key = "";
    e.sender_unit = "单位";
    assert_int_equal(unpack_rc(&e, why, sizeof why), HL_EINVAL);
    assert_non_null(strstr(why, "sender_unit"));
    e.sender_unit = "kt-eeb";

    Hl__Error er = HL__ERROR__INIT;
    er.code = HL_EINVAL;
    er.message = "\xff\xfe not utf-8";
    e.error = &er;
    assert_int_equal(unpack_rc(&e, why, sizeof why), HL_EINVAL);
    assert_non_null(strstr(why, "error.message"));
    char *big = malloc(HL_TEXT_MAX + 2);
    assert_non_null(big);
    memset(big, 'x', HL_TEXT_MAX + 1);
    big[HL_TEXT_MAX + 1] = '\0';
    er.message = big;
    assert_int_equal(unpack_rc(&e, why, sizeof why), HL_EINVAL);
    big[HL_TEXT_MAX] = '\0';
    assert_int_equal(unpack_rc(&e, why, sizeof why), 0);
    free(big);
}

static void test_oversize_and_garbage(void **state)
{
    (void)state;
    char why[256];
    Hl__Envelope *d = NULL;
    uint8_t *big = calloc(1, 2000);
    assert_non_null(big);
    assert_int_equal(hl_env_unpack(big, 2000, 1000, &d, why, sizeof why), HL_ETOOBIG);
    assert_null(d);
    assert_non_null(strstr(why, "2000"));
    free(big);

    static const uint8_t garbage[][8] = {
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
        {0x0a, 0x7f, 'a', 'b'},                 /* length prefix past the end */
        {0x08},                                  /* varint cut short */
        {0x0f, 0x00},                            /* wire type 7 */
    };
    static const size_t glen[] = {8, 4, 1, 2};
    for (size_t i = 0; i < 4; i++) {
        int rc = hl_env_unpack(garbage[i], glen[i], 0, &d, why, sizeof why);
        assert_true(rc == HL_EDECODE || rc == HL_EINVAL);
        assert_null(d);
    }
    /* Empty input decodes to an empty envelope, which has no msg_id. */
    assert_int_equal(hl_env_unpack("", 0, 0, &d, why, sizeof why), HL_EINVAL);

    /* A fixed pseudo-random walk over a valid message: every mutation is either refused or
     * yields a valid envelope; never a crash (ASan would say). */
    Hl__Envelope *e = NULL;
    assert_int_equal(hl_env_build("alert", "alert.reading", NULL, NULL, NULL, &e), 0);
    uint8_t *buf;
    size_t len;
    assert_int_equal(hl_env_pack(e, &buf, &len), 0);
    uint32_t x = 12345;
    for (int i = 0; i < 5000; i++) {
        uint8_t tmp[256];
        assert_true(len <= sizeof tmp);
        memcpy(tmp, buf, len);
        x = x * 1103515245u + 12345u;
        tmp[(x >> 8) % len] = (uint8_t)(x >> 16);
        size_t l = len - ((x >> 4) % 3);
        int rc = hl_env_unpack(tmp, l, 0, &d, NULL, 0);
        if (rc == 0) {
            assert_int_equal(hl_id_check(d->msg_id), 0);
            hl_env_free(&d);
        } else {
            assert_null(d);
        }
    }
    free(buf);
    hl_env_free(&e);
}

static void test_str_check(void **state)
{
    (void)state;
    assert_int_equal(hl_str_check(NULL, 10, 0), 0);
    assert_int_equal(hl_str_check("", 10, 0), 0);
    assert_int_equal(hl_str_check("", 10, 1), HL_EINVAL);
    assert_int_equal(hl_str_check(NULL, 10, 1), HL_EINVAL);
    assert_int_equal(hl_str_check("奎屯河", 9, 1), 0);   /* 3 chars x 3 bytes */
    assert_int_equal(hl_str_check("奎屯河", 8, 1), HL_ETOOBIG);
    assert_int_equal(hl_str_check("\xc0\xaf", 10, 1), HL_EINVAL);     /* overlong '/' */
    assert_int_equal(hl_str_check("\xed\xa0\x80", 10, 1), HL_EINVAL); /* surrogate */
    assert_int_equal(hl_str_check("\xf4\x90\x80\x80", 10, 1), HL_EINVAL); /* > U+10FFFF */
    assert_int_equal(hl_str_check("\xe5\xa5", 10, 1), HL_EINVAL);     /* truncated */
    assert_int_equal(hl_str_check("\xf0\x9f\x98\x80", 10, 1), 0);     /* U+1F600 */
}

/* Unknown fields are dropped on unpack, at every depth, and never packed again. */
static void test_unknown_fields_dropped(void **state)
{
    (void)state;
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.id = "st-laolongkou";
    uint8_t *p;
    size_t n;
    assert_int_equal(hl_msg_pack(&q.base, &p, &n), 0);
    /* + field 99 varint 7, + field 100 length-delimited "zz" */
    uint8_t *x = malloc(n + 8);
    memcpy(x, p, n);
    memcpy(x + n, "\x98\x06\x07\xa2\x06\x02zz", 8);
    Hl__ListQuery *u = (Hl__ListQuery *)hl_msg_unpack(&hl__list_query__descriptor, x, n + 8);
    assert_non_null(u);
    assert_int_equal(u->base.n_unknown_fields, 0);
    assert_null(u->base.unknown_fields);
    assert_string_equal(u->id, "st-laolongkou");
    uint8_t *p2;
    size_t n2;
    assert_int_equal(hl_msg_pack(&u->base, &p2, &n2), 0);
    assert_int_equal(n2, n);
    assert_memory_equal(p2, p, n);
    protobuf_c_message_free_unpacked(&u->base, NULL);
    /* Inside an envelope, and inside the envelope's error. */
    Hl__Envelope *e = NULL;
    assert_int_equal(hl_env_build_error("alert", NULL, HL_EINVAL, "f", "m", &e), 0);
    uint8_t *eb;
    size_t en;
    assert_int_equal(hl_env_pack(e, &eb, &en), 0);
    hl_env_free(&e);
    /* Rebuild: error (field 8) gets an unknown field inside, envelope one outside. */
    Hl__Envelope *parsed = hl__envelope__unpack(NULL, en, eb);
    assert_non_null(parsed);
    uint8_t eerr[512];
    size_t elen = hl__error__pack(parsed->error, eerr);
    memcpy(eerr + elen, "\x98\x06\x07", 3);
    elen += 3;
    Hl__Error *keep = parsed->error;
    parsed->error = NULL;
    uint8_t outer[1024];
    size_t olen = hl__envelope__pack(parsed, outer);
    outer[olen++] = 0x42; /* field 8, length-delimited */
    outer[olen++] = (uint8_t)elen;
    memcpy(outer + olen, eerr, elen);
    olen += elen;
    memcpy(outer + olen, "\xa2\x06\x02zz", 5);
    olen += 5;
    parsed->error = keep;
    hl__envelope__free_unpacked(parsed, NULL);
    free(eb);
    assert_int_equal(hl_env_unpack(outer, olen, 0, &e, NULL, 0), 0);
    assert_int_equal(e->base.n_unknown_fields, 0);
    assert_non_null(e->error);
    assert_int_equal(e->error->base.n_unknown_fields, 0);
    assert_string_equal(e->error->message, "m");
    hl_env_free(&e);
    free(x), free(p), free(p2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_rules),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_oversize_and_garbage),
        cmocka_unit_test(test_str_check),
        cmocka_unit_test(test_unknown_fields_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
