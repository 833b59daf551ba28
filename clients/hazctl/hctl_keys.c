/* hctl_keys.c — hazctl keys (hctl_keys.h). */
#include "hctl_keys.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatch.pb-c.h"
#include "dkeys.h"
#include "hazlink/hl_call.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hctl_cmd.h"
#include "hctl_render.h"
#include "units.h"

typedef struct keys_ctx {
    const hctl_args *a;
    const hl_config *cfg;
    int timeout_ms;
    dkeys_paths p;
    units_roster *roster; /* NULL when it could not be read (list only) */
    json_t *j;            /* --json: the object printed at the end */
} keys_ctx;

static void keys__json_print(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (s)
        puts(s);
    free(s);
}

/* Say something to the reader: a line on stdout, or nothing with --json (the JSON says it). */
static void keys__say(const keys_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void keys__say(const keys_ctx *c, const char *fmt, ...)
{
    if (c->a->json)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

static int keys__roster(keys_ctx *c)
{
    char path[HL_PATH_MAX + 80], err[1024];
    snprintf(path, sizeof path, "%s/%s/units.yaml", c->cfg->playbook_dir, c->cfg->plan);
    int rc = units_load(path, &c->roster, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "hazctl keys: cannot read the unit roster: %s\n", err);
    return rc;
}

static int keys__unit_known(const keys_ctx *c, const char *unit)
{
    if (units_find(c->roster, unit))
        return 1;
    fprintf(stderr,
            "hazctl keys: unit '%s' is not in the roster %s; dispatch admits keys of "
            "its units only\n",
            unit, c->roster->file);
    return 0;
}

/* Ask a running dispatch to apply the change: type is dispatch.keys_reload or
 * dispatch.gateway_rekey. Not running is not an error: it reads the keys when it starts. */
static void keys__tell_dispatch(keys_ctx *c, const char *type)
{
    char ep[256], err[512] = "";
    json_t *jd = json_object();
    if (hl_config_endpoint(c->cfg, "dispatch", "req", ep, sizeof ep) < 0)
        snprintf(ep, sizeof ep, "?");
    Hl__Empty empty = HL__EMPTY__INIT;
    Hl__Envelope *reply = NULL;
    int rc = hl_call(NULL, ep, "hazctl", type, &empty.base, c->timeout_ms, &reply, err, sizeof err);
    Hl__KeysStatus *ks =
        rc == 0 ? (Hl__KeysStatus *)hl_msg_unpack(&hl__keys_status__descriptor, reply->payload.data,
                                                  reply->payload.len)
                : NULL;
    json_object_set_new(jd, "endpoint", json_string(ep));
    json_object_set_new(jd, "reached", json_boolean(ks != NULL));
    if (ks) {
        json_object_set_new(jd, "admitted", json_integer(ks->admitted));
        json_object_set_new(jd, "revoked", json_integer(ks->revoked));
        json_object_set_new(jd, "gateway_public_key", json_string(ks->gateway_public_key));
        if (!strcmp(type, "dispatch.gateway_rekey"))
            keys__say(c, "dispatch: the gateway now uses this key; every partner connection was "
                         "cut\n");
        else
            keys__say(c, "dispatch: applied; %u key(s) admitted, %u revoked now%s\n", ks->admitted,
                      ks->revoked, ks->revoked ? " (their connections were cut)" : "");
        hl__keys_status__free_unpacked(ks, NULL);
    } else if (rc == HL_ETIMEOUT || rc == HL_EZMQ) {
        keys__say(c, "dispatch: not running at %s; it reads the keys when it starts\n", ep);
    } else {
        json_object_set_new(jd, "error", json_string(err));
        fprintf(stderr, "hazctl keys: dispatch did not apply the change: %s\n", err);
    }
    hl_env_free(&reply);
    if (c->j)
        json_object_set_new(c->j, "dispatch", jd);
    else
        json_decref(jd);
}

/* ---- table edits ---- */

typedef struct keys_edit {
    const char *unit, *pub, *old_pub;
    const char *other; /* add: the unit pub is admitted as already (copied) */
    char other_buf[HL_ID_MAX + 1];
    size_t revoked;
    int already;
} keys_edit;

static int keys__admit_fn(hl_keytable *kt, void *ud, char *err, size_t errlen)
{
    keys_edit *e = ud;
    if (e->old_pub && strcmp(e->old_pub, e->pub) != 0 && hl_keytable_unit(kt, e->old_pub) &&
        hl_keytable_revoke_key(kt, e->old_pub) == 0)
        e->revoked++;
    const char *now = hl_keytable_unit(kt, e->pub);
    if (now && strcmp(now, e->unit) == 0) {
        e->already = 1;
        return e->revoked ? 0 : 1;
    }
    if (now) {
        snprintf(e->other_buf, sizeof e->other_buf, "%s", now);
        e->other = e->other_buf;
        snprintf(err, errlen, "this public key is admitted already, as unit %s", now);
        return HL_EEXIST;
    }
    int rc = hl_keytable_add(kt, e->pub, e->unit);
    if (rc < 0)
        snprintf(err, errlen, "cannot admit the key: %s", hl_strerror(rc));
    return rc;
}

static int keys__revoke_fn(hl_keytable *kt, void *ud, char *err, size_t errlen)
{
    keys_edit *e = ud;
    size_t before = hl_keytable_count(kt);
    int rc = hl_keytable_revoke_unit(kt, e->unit);
    if (rc == HL_ENOTFOUND)
        snprintf(err, errlen, "no key of unit %s is admitted", e->unit);
    e->revoked = before - hl_keytable_count(kt);
    return rc;
}

static int keys__admit(keys_ctx *c, keys_edit *e)
{
    char err[1024];
    int rc = dkeys_table_edit(&c->p, keys__admit_fn, e, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "hazctl keys: %s: %s\n", c->p.table, err);
        return HCTL_EXIT_ERROR;
    }
    return HCTL_EXIT_OK;
}

/* ---- subcommands ---- */

static int keys__gen(keys_ctx *c)
{
    const hctl_args *a = c->a;
    char base[HL_PATH_MAX + 96], sec[HL_PATH_MAX + 104], pubf[HL_PATH_MAX + 104], err[1024];
    if (a->out_base)
        snprintf(base, sizeof base, "%s", a->out_base);
    else if (dkeys_unit_base(&c->p, a->keys_unit, base, sizeof base) < 0)
        return HCTL_EXIT_ERROR;
    snprintf(sec, sizeof sec, "%s.key", base);
    snprintf(pubf, sizeof pubf, "%s.pub", base);
    hl_keypair kp;
    int had = access(sec, F_OK) == 0;
    if (had && !a->force) {
        fprintf(stderr,
                "hazctl keys gen: a key pair exists at %s (.key, .pub); keep it, or replace it "
                "with --force (its old public key is then revoked)\n",
                base);
        return HCTL_EXIT_ERROR;
    }
    /* The old public key, to revoke: from the .pub, which a pair with a broken secret may
     * still have. */
    char old_pub[HL_KEY_Z85_LEN + 1] = "";
    if (had && hl_keys_load_public(pubf, old_pub, err, sizeof err) < 0)
        old_pub[0] = '\0';
    int rc = a->out_base ? 0 : dkeys_dirs_make(&c->p, err, sizeof err);
    if (rc == 0 && (rc = hl_keys_generate(&kp)) < 0)
        snprintf(err, sizeof err, "cannot make a key pair: %s", hl_strerror(rc));
    if (rc == 0)
        rc = hl_keys_save(base, &kp, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "hazctl keys gen: %s\n", err);
        memset(&kp, 0, sizeof kp);
        return HCTL_EXIT_ERROR;
    }
    keys_edit e = {.unit = a->keys_unit, .pub = kp.pub, .old_pub = old_pub[0] ? old_pub : NULL};
    int ex = keys__admit(c, &e);
    const unit_info *u = units_find(c->roster, a->keys_unit);
    if (c->j) {
        json_object_set_new(c->j, "unit", json_string(a->keys_unit));
        json_object_set_new(c->j, "public_key", json_string(kp.pub));
        json_object_set_new(c->j, "key_file", json_string(sec));
        json_object_set_new(c->j, "public_file", json_string(pubf));
        json_object_set_new(c->j, "table", json_string(c->p.table));
        json_object_set_new(c->j, "admitted", json_boolean(ex == 0));
        json_object_set_new(c->j, "old_key_revoked", json_boolean(e.revoked > 0));
        if (a->print_secret)
            json_object_set_new(c->j, "secret_key", json_string(kp.sec));
    }
    keys__say(c, "unit %s (%s): new key pair\n", a->keys_unit, u ? u->name : "?");
    keys__say(c, "  public key   %s\n", kp.pub);
    keys__say(c, "  secret key   %s (mode 0600: for the unit's partner agent only)\n", sec);
    keys__say(c, "  public file  %s\n", pubf);
    if (ex == 0)
        keys__say(c, "  admitted in  %s%s\n", c->p.table,
                  e.revoked ? " (the pair's old public key revoked)" : "");
    keys__say(c, "  partner      hazpartner run --unit %s --key %s --server-key %s\n", a->keys_unit,
              base, c->p.gateway_pub);
    if (a->print_secret)
        keys__say(c, "  secret (z85) %s\n", kp.sec);
    memset(&kp, 0, sizeof kp);
    if (ex == 0)
        keys__tell_dispatch(c, "dispatch.keys_reload");
    return ex;
}

static int keys__add(keys_ctx *c)
{
    const hctl_args *a = c->a;
    char pub[HL_KEY_Z85_LEN + 1], err[1024];
    if (hl_key_check(a->keys_key) == 0) {
        snprintf(pub, sizeof pub, "%s", a->keys_key);
    } else if (hl_keys_load_public(a->keys_key, pub, err, sizeof err) < 0) {
        fprintf(stderr,
                "hazctl keys add: '%s' is neither a z85 public key nor a readable key "
                "file: %s\n",
                a->keys_key, err);
        return HCTL_EXIT_ERROR;
    }
    keys_edit e = {.unit = a->keys_unit, .pub = pub};
    int ex = keys__admit(c, &e);
    if (c->j) {
        json_object_set_new(c->j, "unit", json_string(a->keys_unit));
        json_object_set_new(c->j, "public_key", json_string(pub));
        json_object_set_new(c->j, "table", json_string(c->p.table));
        json_object_set_new(c->j, "admitted", json_boolean(ex == 0));
        json_object_set_new(c->j, "already", json_boolean(e.already));
    }
    if (ex)
        return ex;
    keys__say(c, "unit %s: public key %s %s %s\n", a->keys_unit, pub,
              e.already ? "was admitted already in" : "admitted in", c->p.table);
    if (!e.already)
        keys__tell_dispatch(c, "dispatch.keys_reload");
    return HCTL_EXIT_OK;
}

static int keys__revoke(keys_ctx *c)
{
    keys_edit e = {.unit = c->a->keys_unit};
    char err[1024];
    int rc = dkeys_table_edit(&c->p, keys__revoke_fn, &e, err, sizeof err);
    if (c->j) {
        json_object_set_new(c->j, "unit", json_string(e.unit));
        json_object_set_new(c->j, "revoked", json_integer((json_int_t)e.revoked));
        json_object_set_new(c->j, "table", json_string(c->p.table));
    }
    if (rc < 0) {
        fprintf(stderr, "hazctl keys revoke: %s: %s\n", c->p.table, err);
        return HCTL_EXIT_ERROR;
    }
    keys__say(c, "unit %s: %zu key(s) revoked in %s\n", e.unit, e.revoked, c->p.table);
    keys__tell_dispatch(c, "dispatch.keys_reload");
    return HCTL_EXIT_OK;
}

/* The base of a pair under keys/units holding pub for unit, or NULL. */
static const char *keys__pair_of(const keys_ctx *c, const char *unit, const char *pub, char *buf,
                                 size_t n)
{
    char path[HL_PATH_MAX + 104], have[HL_KEY_Z85_LEN + 1], err[256];
    if (dkeys_unit_base(&c->p, unit, buf, n) < 0)
        return NULL;
    snprintf(path, sizeof path, "%s.pub", buf);
    if (hl_keys_load_public(path, have, err, sizeof err) < 0 || strcmp(have, pub) != 0)
        return NULL;
    return buf;
}

static int keys__list(keys_ctx *c)
{
    char err[1024], gw[HL_KEY_Z85_LEN + 1];
    hl_keytable *kt = NULL;
    if (dkeys_table_read(&c->p, &kt, err, sizeof err) < 0) {
        fprintf(stderr, "hazctl keys list: %s\n", err);
        return HCTL_EXIT_ERROR;
    }
    int has_gw = hl_keys_load_public(c->p.gateway_pub, gw, err, sizeof err) == 0;
    size_t n = hl_keytable_count(kt);
    hctl_key_view *v = calloc(n + 1, sizeof *v);
    char(*pairs)[HL_PATH_MAX + 96] = calloc(n + 1, sizeof *pairs);
    int ex = HCTL_EXIT_OK;
    if (!v || !pairs) {
        fprintf(stderr, "hazctl keys list: out of memory\n");
        ex = HCTL_EXIT_ERROR;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        hl_keytable_entry(kt, i, &v[i].pub, &v[i].unit);
        const unit_info *u = c->roster ? units_find(c->roster, v[i].unit) : NULL;
        v[i].name = u ? u->name : NULL;
        v[i].pair = keys__pair_of(c, v[i].unit, v[i].pub, pairs[i], sizeof pairs[i]);
    }
    if (c->a->json) {
        json_decref(c->j);
        c->j = hctl_json_keys(v, n, has_gw ? gw : NULL, c->p.table);
    } else {
        hctl_buf b = {0};
        if (hctl_render_keys(v, n, has_gw ? gw : NULL, c->p.table, &b) == 0)
            fputs(hctl_buf_str(&b), stdout);
        else
            ex = HCTL_EXIT_ERROR;
        hctl_buf_free(&b);
    }
done:
    free(v);
    free(pairs);
    hl_keytable_destroy(&kt);
    return ex;
}

static int keys__rotate(keys_ctx *c)
{
    char err[1024];
    hl_keypair kp;
    if (dkeys_gateway_rotate(&c->p, &kp, err, sizeof err) < 0) {
        fprintf(stderr, "hazctl keys rotate-server: %s\n", err);
        return HCTL_EXIT_ERROR;
    }
    if (c->j) {
        json_object_set_new(c->j, "gateway_public_key", json_string(kp.pub));
        json_object_set_new(c->j, "public_file", json_string(c->p.gateway_pub));
    }
    keys__say(c, "gateway: new key pair %s.key/.pub\n", c->p.gateway);
    keys__say(c, "  public key   %s\n", kp.pub);
    keys__say(c,
              "  partners need it: give each the new %s (public, not secret) for their\n"
              "  --server-key file; an agent reads it again when it reconnects\n",
              c->p.gateway_pub);
    memset(&kp, 0, sizeof kp);
    keys__tell_dispatch(c, "dispatch.gateway_rekey");
    return HCTL_EXIT_OK;
}

int hctl_keys_run(const hctl_args *a, const hl_config *cfg, int timeout_ms)
{
    keys_ctx c = {.a = a, .cfg = cfg, .timeout_ms = timeout_ms};
    if (dkeys_paths_of(cfg->data_dir, &c.p) < 0) {
        fprintf(stderr, "hazctl keys: data dir path too long: %s\n", cfg->data_dir);
        return HCTL_EXIT_ERROR;
    }
    int need_roster = a->keys_sub == HCTL_KEYS_GEN || a->keys_sub == HCTL_KEYS_ADD;
    if (keys__roster(&c) < 0 && need_roster)
        return HCTL_EXIT_ERROR;
    if (need_roster && !keys__unit_known(&c, a->keys_unit)) {
        units_destroy(&c.roster);
        return HCTL_EXIT_ERROR;
    }
    if (a->json)
        c.j = json_object();
    int ex;
    switch (a->keys_sub) {
    case HCTL_KEYS_GEN:
        ex = keys__gen(&c);
        break;
    case HCTL_KEYS_ADD:
        ex = keys__add(&c);
        break;
    case HCTL_KEYS_REVOKE:
        ex = keys__revoke(&c);
        break;
    case HCTL_KEYS_LIST:
        ex = keys__list(&c);
        break;
    case HCTL_KEYS_ROTATE_SERVER:
        ex = keys__rotate(&c);
        break;
    default:
        fprintf(stderr, "hazctl keys: which subcommand?\n");
        ex = HCTL_EXIT_USAGE;
    }
    if (c.j)
        keys__json_print(c.j);
    json_decref(c.j);
    units_destroy(&c.roster);
    return ex;
}
