/* gb3838.c — see gb3838.h for the rules and the clauses behind them. */
#include "gb3838.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hazlink/hl_error.h"

static const char *const gb3838__roman[5] = {"I", "II", "III", "IV", "V"};

void gb3838_destroy(gb3838_table **tp)
{
    if (!tp || !*tp)
        return;
    free((*tp)->items);
    free(*tp);
    *tp = NULL;
}

/* Copy s without surrounding blanks into out (n bytes). HL_ETOOBIG if it does not fit. */
static int gb3838__trim_copy(const char *s, size_t len, char *out, size_t n)
{
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len >= n)
        return HL_ETOOBIG;
    memcpy(out, s, len);
    out[len] = '\0';
    return 0;
}

/* Names compare ASCII case-insensitively so "Benzene" finds 苯's alias "benzene"; Chinese
 * names compare byte for byte. */
static int gb3838__same(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

static int gb3838__item_has_name(const gb3838_item *it, const char *name)
{
    if (gb3838__same(it->name, name))
        return 1;
    for (size_t i = 0; i < it->n_aliases; i++)
        if (gb3838__same(it->aliases[i], name))
            return 1;
    return 0;
}

static int gb3838__parse_range(const char *s, double *lo, double *hi)
{
    const char *tilde = strchr(s, '~');
    if (!tilde)
        return HL_EPARSE;
    char a[64], b[64];
    size_t la = (size_t)(tilde - s), lb = strlen(tilde + 1);
    if (la == 0 || lb == 0 || la >= sizeof a || lb >= sizeof b)
        return HL_EPARSE;
    memcpy(a, s, la);
    a[la] = '\0';
    memcpy(b, tilde + 1, lb + 1);
    char *end;
    errno = 0;
    *lo = strtod(a, &end);
    if (end == a || *end || errno || !isfinite(*lo))
        return HL_EPARSE;
    *hi = strtod(b, &end);
    if (end == b || *end || errno || !isfinite(*hi))
        return HL_EPARSE;
    return *lo < *hi ? 0 : HL_EPARSE;
}

typedef struct gb3838__cols {
    size_t table, seq, item, unit, cmp, cls[5], single, note, alias, body, verified;
} gb3838__cols;

static int gb3838__find_cols(const refcsv *c, gb3838__cols *k, char *err, size_t errlen)
{
    int rc;
    if ((rc = refcsv_col(c, "table", &k->table, err, errlen)) < 0 ||
        (rc = refcsv_col(c, "seq", &k->seq, err, errlen)) < 0 ||
        (rc = refcsv_col(c, "item", &k->item, err, errlen)) < 0 ||
        (rc = refcsv_col(c, "unit", &k->unit, err, errlen)) < 0 ||
        (rc = refcsv_col(c, "comparison", &k->cmp, err, errlen)) < 0 ||
        (rc = refcsv_col(c, "single_limit", &k->single, err, errlen)) < 0 ||
        (rc = refcsv_col(c, "note", &k->note, err, errlen)) < 0 ||
        (rc = refcsv_col(c, "alias", &k->alias, err, errlen)) < 0 ||
        (rc = refcsv_col(c, "water_body", &k->body, err, errlen)) < 0 ||
        (rc = refcsv_col(c, "verified", &k->verified, err, errlen)) < 0)
        return rc;
    for (int i = 0; i < 5; i++)
        if ((rc = refcsv_col(c, gb3838__roman[i], &k->cls[i], err, errlen)) < 0)
            return rc;
    return 0;
}

/* Limits of one row into it->lo/hi. */
static int gb3838__row_limits(const refcsv *c, const refcsv_row *r, const gb3838__cols *k,
                              gb3838_item *it, char *err, size_t errlen)
{
    if (it->kind == GB3838_TEXT)
        return 0; /* the class columns hold words, not numbers */
    if (it->table == 1) {
        for (int i = 0; i < 5; i++) {
            const char *s = r->f[k->cls[i]];
            if (it->kind == GB3838_RANGE) {
                if (gb3838__parse_range(s, &it->lo[i], &it->hi[i]) < 0)
                    return refcsv_fail(c, r->line, c->cols[k->cls[i]], HL_EPARSE, err, errlen,
                                       "'%s' is not a range a~b with a < b", s);
                continue;
            }
            double v;
            int rc = refcsv_double(c, r, k->cls[i], 1, &v, err, errlen);
            if (rc < 0)
                return rc;
            if (v <= 0)
                return refcsv_fail(c, r->line, c->cols[k->cls[i]], HL_EPARSE, err, errlen,
                                   "limit %g is not positive", v);
            it->lo[i] = it->kind == GB3838_MIN ? v : 0;
            it->hi[i] = it->kind == GB3838_MAX ? v : 0;
        }
        return 0;
    }
    /* 表2 and 表3: one limit for every class. */
    if (it->kind == GB3838_RANGE)
        return refcsv_fail(c, r->line, "comparison", HL_EPARSE, err, errlen,
                           "a range is only known for 表1 rows");
    double v;
    int rc = refcsv_double(c, r, k->single, 1, &v, err, errlen);
    if (rc < 0)
        return rc;
    if (v <= 0)
        return refcsv_fail(c, r->line, "single_limit", HL_EPARSE, err, errlen,
                           "limit %g is not positive", v);
    for (int i = 0; i < 5; i++) {
        it->lo[i] = it->kind == GB3838_MIN ? v : 0;
        it->hi[i] = it->kind == GB3838_MAX ? v : 0;
    }
    return 0;
}

static int gb3838__row(const refcsv *c, const refcsv_row *r, const gb3838__cols *k, gb3838_item *it,
                       char *err, size_t errlen)
{
    memset(it, 0, sizeof *it);
    it->line = r->line;
    const char *tab = r->f[k->table];
    if (strncmp(tab, "表1", strlen("表1")) == 0)
        it->table = 1;
    else if (strncmp(tab, "表2", strlen("表2")) == 0)
        it->table = 2;
    else if (strncmp(tab, "表3", strlen("表3")) == 0)
        it->table = 3;
    else
        return refcsv_fail(c, r->line, "table", HL_EPARSE, err, errlen,
                           "'%s' is not 表1, 表2 or 表3", tab);
    double seq;
    int rc = refcsv_double(c, r, k->seq, 1, &seq, err, errlen);
    if (rc < 0)
        return rc;
    if (seq < 1 || seq > 999 || seq != floor(seq))
        return refcsv_fail(c, r->line, "seq", HL_EPARSE, err, errlen,
                           "'%s' is not an item number 1..999", r->f[k->seq]);
    it->seq = (int)seq;
    const char *name = r->f[k->item];
    if (!name[0])
        return refcsv_fail(c, r->line, "item", HL_EPARSE, err, errlen, "empty item name");
    if (gb3838__trim_copy(name, strlen(name), it->name, sizeof it->name) < 0)
        return refcsv_fail(c, r->line, "item", HL_ETOOBIG, err, errlen, "name longer than %d bytes",
                           GB3838_NAME_MAX);
    if (snprintf(it->unit, sizeof it->unit, "%s", r->f[k->unit]) >= (int)sizeof it->unit)
        return refcsv_fail(c, r->line, "unit", HL_ETOOBIG, err, errlen, "unit longer than %d bytes",
                           GB3838_UNIT_MAX);
    if (strlen(r->f[k->note]) > GB3838_NOTE_MAX)
        return refcsv_fail(c, r->line, "note", HL_ETOOBIG, err, errlen, "note longer than %d bytes",
                           GB3838_NOTE_MAX);
    snprintf(it->note, sizeof it->note, "%s", r->f[k->note]);

    /* The orders below are those of gb3838_kind, gb3838_quantity and gb3838_body. */
    static const char *const kinds[] = {"<=", ">=", "range", "text", NULL};
    static const char *const units[] = {"mg/L", "无量纲", "个/L", "℃", NULL};
    static const char *const bodies[] = {"any", "river", "lake_reservoir", NULL};
    static const char *const yes_no[] = {"no", "yes", NULL};
    int kind, quantity, body, verified;
    if ((rc = refcsv_enum(c, r, k->cmp, kinds, &kind, err, errlen)) < 0 ||
        (rc = refcsv_enum(c, r, k->unit, units, &quantity, err, errlen)) < 0 ||
        (rc = refcsv_enum(c, r, k->body, bodies, &body, err, errlen)) < 0 ||
        (rc = refcsv_enum(c, r, k->verified, yes_no, &verified, err, errlen)) < 0)
        return rc;
    it->kind = (gb3838_kind)kind;
    it->quantity = (gb3838_quantity)quantity;
    it->body = (gb3838_body)body;
    it->verified = verified;
    if ((it->quantity == GB3838_Q_TEMP) != (it->kind == GB3838_TEXT))
        return refcsv_fail(c, r->line, "comparison", HL_EPARSE, err, errlen,
                           "only the ℃ item (水温) is a text rule");

    /* Aliases: ";"-separated, blanks around each ignored, none empty. */
    const char *a = r->f[k->alias];
    while (*a) {
        const char *semi = strchr(a, ';');
        size_t len = semi ? (size_t)(semi - a) : strlen(a);
        if (it->n_aliases >= GB3838_MAX_ALIASES)
            return refcsv_fail(c, r->line, "alias", HL_ETOOBIG, err, errlen, "more than %d aliases",
                               GB3838_MAX_ALIASES);
        char *dst = it->aliases[it->n_aliases];
        if (gb3838__trim_copy(a, len, dst, GB3838_NAME_MAX + 1) < 0)
            return refcsv_fail(c, r->line, "alias", HL_ETOOBIG, err, errlen,
                               "alias longer than %d bytes", GB3838_NAME_MAX);
        if (!dst[0])
            return refcsv_fail(c, r->line, "alias", HL_EPARSE, err, errlen,
                               "empty alias (two ';' in a row or a trailing ';')");
        it->n_aliases++;
        a += len;
        if (*a == ';')
            a++;
        if (semi && !*a)
            return refcsv_fail(c, r->line, "alias", HL_EPARSE, err, errlen,
                               "empty alias (two ';' in a row or a trailing ';')");
    }
    return gb3838__row_limits(c, r, k, it, err, errlen);
}

/* Every name and alias names one item; an item name may repeat only for rows of different
 * water bodies (总磷: 河流 / 湖、库), neither of them "any". */
static int gb3838__check_unique(const refcsv *c, const gb3838_table *t, size_t n, char *err,
                                size_t errlen)
{
    const gb3838_item *it = &t->items[n];
    for (size_t i = 0; i < n; i++) {
        const gb3838_item *o = &t->items[i];
        if (strcmp(o->name, it->name) == 0) {
            if (o->body == GB3838_BODY_ANY || it->body == GB3838_BODY_ANY || o->body == it->body)
                return refcsv_fail(c, it->line, "item", HL_EPARSE, err, errlen,
                                   "'%s' already has a row for this water body (line %d)", it->name,
                                   o->line);
            continue;
        }
        if (gb3838__item_has_name(o, it->name))
            return refcsv_fail(c, it->line, "item", HL_EPARSE, err, errlen,
                               "'%s' is already a name or alias of '%s' (line %d)", it->name,
                               o->name, o->line);
        for (size_t j = 0; j < it->n_aliases; j++)
            if (gb3838__item_has_name(o, it->aliases[j]))
                return refcsv_fail(c, it->line, "alias", HL_EPARSE, err, errlen,
                                   "'%s' is already a name or alias of '%s' (line %d)",
                                   it->aliases[j], o->name, o->line);
    }
    return 0;
}

int gb3838_from_csv(const refcsv *c, gb3838_table **out, char *err, size_t errlen)
{
    gb3838__cols k;
    int rc = gb3838__find_cols(c, &k, err, errlen);
    if (rc < 0)
        return rc;
    if (c->nrows > GB3838_MAX_ITEMS)
        return refcsv_fail(c, c->rows[GB3838_MAX_ITEMS].line, NULL, HL_ETOOBIG, err, errlen,
                           "more than %d items", GB3838_MAX_ITEMS);
    if (c->nrows == 0)
        return refcsv_fail(c, c->header_line, NULL, HL_EPARSE, err, errlen, "no items");
    gb3838_table *t = calloc(1, sizeof *t);
    if (!t)
        return HL_ENOMEM;
    t->items = calloc(c->nrows, sizeof *t->items);
    if (!t->items) {
        free(t);
        return HL_ENOMEM;
    }
    snprintf(t->file, sizeof t->file, "%s", c->file);
    for (size_t i = 0; i < c->nrows; i++) {
        if ((rc = gb3838__row(c, &c->rows[i], &k, &t->items[i], err, errlen)) < 0 ||
            (rc = gb3838__check_unique(c, t, i, err, errlen)) < 0) {
            gb3838_destroy(&t);
            return rc;
        }
        t->n_items = i + 1;
    }
    *out = t;
    return 0;
}

int gb3838_load(const char *path, gb3838_table **out, char *err, size_t errlen)
{
    refcsv *c = NULL;
    int rc = refcsv_load(path, &c, err, errlen);
    if (rc < 0)
        return rc;
    rc = gb3838_from_csv(c, out, err, errlen);
    refcsv_destroy(&c);
    return rc;
}

const gb3838_item *gb3838_find(const gb3838_table *t, const char *name)
{
    char key[GB3838_NAME_MAX + 1];
    if (!name || gb3838__trim_copy(name, strlen(name), key, sizeof key) < 0 || !key[0])
        return NULL;
    for (size_t i = 0; i < t->n_items; i++)
        if (gb3838__item_has_name(&t->items[i], key))
            return &t->items[i];
    return NULL;
}

static void gb3838__source(const gb3838_item *it, int water_class, char *buf, size_t n)
{
    /* Table 1 limits depend on the class, so the class is part of the citation. */
    if (it->table == 1)
        snprintf(buf, n, "GB 3838-2002 表1 item %d %s class %s%s", it->seq, it->name,
                 gb3838__roman[water_class - 1], it->verified ? "" : " (unverified)");
    else
        snprintf(buf, n, "GB 3838-2002 表%d item %d %s%s", it->table, it->seq, it->name,
                 it->verified ? "" : " (unverified)");
}

int gb3838_limit_for(const gb3838_table *t, const char *name, const gb3838_site *site,
                     gb3838_limit *out)
{
    memset(out, 0, sizeof *out);
    const gb3838_item *first = gb3838_find(t, name);
    if (!first) {
        const char *base = strrchr(t->file, '/');
        snprintf(out->why, sizeof out->why, "'%.*s' is not a GB 3838-2002 item or alias in %.200s",
                 GB3838_NAME_MAX, name ? name : "", base ? base + 1 : t->file);
        return HL_ENOTFOUND;
    }
    if (site->water_class < 1 || site->water_class > 5) {
        snprintf(out->why, sizeof out->why, "water class %d is not I..V", site->water_class);
        return HL_EINVAL;
    }
    /* The row for the site's water body: 总磷 has one for rivers and one for lakes. */
    gb3838_body body = site->body == GB3838_BODY_LAKE ? GB3838_BODY_LAKE : GB3838_BODY_RIVER;
    const gb3838_item *it = NULL;
    for (size_t i = (size_t)(first - t->items); i < t->n_items; i++) {
        const gb3838_item *o = &t->items[i];
        if (strcmp(o->name, first->name) == 0 && (o->body == GB3838_BODY_ANY || o->body == body)) {
            it = o;
            break;
        }
    }
    out->item = it ? it : first;
    out->kind = out->item->kind;
    gb3838__source(out->item, site->water_class, out->source, sizeof out->source);
    if (!it) {
        snprintf(out->why, sizeof out->why,
                 "not checked: GB 3838-2002 表1 item %d %s applies to lakes and reservoirs "
                 "(湖、库) only; this section is a river",
                 first->seq, first->name);
        return 0;
    }
    if (it->kind == GB3838_TEXT) {
        snprintf(out->why, sizeof out->why,
                 "not checked: GB 3838-2002 表1 item %d %s is a rule on man-made change of "
                 "the weekly mean (%s), which one reading cannot show",
                 it->seq, it->name, it->note[0] ? it->note : "text rule");
        return 0;
    }
    if (it->table == 2 && !site->drinking_source) {
        snprintf(out->why, sizeof out->why,
                 "not checked: GB 3838-2002 表2 item %d %s applies to drinking-water source "
                 "sections only (§4.2); this section is not one",
                 it->seq, it->name);
        return 0;
    }
    if (it->table == 3 && !site->drinking_source) {
        int selected = 0;
        for (size_t i = 0; i < site->n_extra && i < GB3838_SITE_MAX_EXTRA; i++)
            if (site->extra[i] && gb3838__item_has_name(it, site->extra[i]))
                selected = 1;
        if (!selected) {
            snprintf(out->why, sizeof out->why,
                     "not checked: GB 3838-2002 表3 item %d %s applies to drinking-water source "
                     "sections and to sections whose authority selected it (§4.2); this "
                     "section is neither",
                     it->seq, it->name);
            return 0;
        }
    }
    out->applies = 1;
    out->lo = it->lo[site->water_class - 1];
    out->hi = it->hi[site->water_class - 1];
    return 0;
}

int gb3838_unit_factor(const char *unit, double *factor)
{
    static const struct {
        const char *unit;
        double f;
    } units[] = {
        {"mg/L", 1.0},         {"mg/l", 1.0},         {"ug/L", 1e-3},
        {"ug/l", 1e-3},        {"\xC2\xB5g/L", 1e-3}, {"\xC2\xB5g/l", 1e-3}, /* U+00B5 MICRO SIGN */
        {"\xCE\xBCg/L", 1e-3}, {"\xCE\xBCg/l", 1e-3}, /* U+03BC GREEK SMALL LETTER MU */
        {"ng/L", 1e-6},        {"ng/l", 1e-6},
    };
    if (!unit)
        return HL_EUNIT;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i].unit) == 0) {
            *factor = units[i].f;
            return 0;
        }
    return HL_EUNIT;
}

static int gb3838__one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

int gb3838_convert(const gb3838_item *it, double value, const char *unit, double *out)
{
    static const char *const ph[] = {"", "pH", "无量纲", "dimensionless", NULL};
    static const char *const count[] = {"个/L", "MPN/L", NULL};
    static const char *const temp[] = {"℃", "°C", NULL};
    if (!unit)
        unit = "";
    switch (it->quantity) {
    case GB3838_Q_CONC: {
        double f;
        if (gb3838_unit_factor(unit, &f) < 0)
            return HL_EUNIT;
        *out = value * f;
        return 0;
    }
    case GB3838_Q_PH:
        if (!gb3838__one_of(unit, ph))
            return HL_EUNIT;
        break;
    case GB3838_Q_COUNT:
        if (!gb3838__one_of(unit, count))
            return HL_EUNIT;
        break;
    case GB3838_Q_TEMP:
        if (!gb3838__one_of(unit, temp))
            return HL_EUNIT;
        break;
    }
    *out = value;
    return 0;
}

static const char *gb3838__units_for(const gb3838_item *it)
{
    switch (it->quantity) {
    case GB3838_Q_CONC:
        return "mg/L, µg/L (ug/L), ng/L";
    case GB3838_Q_PH:
        return "none (pH is dimensionless)";
    case GB3838_Q_COUNT:
        return "个/L (MPN/L)";
    case GB3838_Q_TEMP:
        return "℃";
    }
    return "?";
}

int gb3838_check(const gb3838_table *t, const char *name, double value, const char *unit,
                 const gb3838_site *site, gb3838_result *out)
{
    memset(out, 0, sizeof *out);
    int rc = gb3838_limit_for(t, name, site, &out->limit);
    if (rc < 0)
        return rc;
    const gb3838_item *it = out->limit.item;
    if (!isfinite(value) || value < 0 || value > GB3838_VALUE_MAX) {
        snprintf(out->limit.why, sizeof out->limit.why,
                 "value %g is not a measurement (must be a finite number from 0 to %g)", value,
                 GB3838_VALUE_MAX);
        return HL_EINVAL;
    }
    if (it->quantity == GB3838_Q_PH && value > 14) {
        snprintf(out->limit.why, sizeof out->limit.why, "pH %g is outside 0..14", value);
        return HL_EINVAL;
    }
    if (gb3838_convert(it, value, unit, &out->value) < 0) {
        snprintf(out->limit.why, sizeof out->limit.why,
                 "unit '%.32s' cannot be converted for %s (accepted: %s)", unit ? unit : "",
                 it->name, gb3838__units_for(it));
        return HL_EUNIT;
    }
    out->checked = out->limit.applies;
    if (!out->checked)
        return 0;
    const double c = out->value, lo = out->limit.lo, hi = out->limit.hi;
    switch (it->kind) {
    case GB3838_MAX:
        out->bound = hi;
        if (c > hi) {
            out->exceeded = 1;
            out->multiple = (c - hi) / hi;
        }
        break;
    case GB3838_MIN:
        out->bound = lo;
        if (c < lo) {
            out->exceeded = 1;
            out->multiple = (lo - c) / lo;
        }
        break;
    case GB3838_RANGE:
        out->bound = (c < (lo + hi) / 2) ? lo : hi;
        if (c < lo) {
            out->exceeded = 1;
            out->multiple = (lo - c) / lo;
        } else if (c > hi) {
            out->exceeded = 1;
            out->multiple = (c - hi) / hi;
        }
        break;
    case GB3838_TEXT:
        break;
    }
    return 0;
}
