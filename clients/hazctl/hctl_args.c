/* hctl_args.c — see hctl_args.h. */
#include "hctl_args.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"

/* ---- Numbers ---- */

int hctl_parse_double(const char *s, double min, double max, double *out)
{
    if (!s || !*s)
        return HL_EINVAL;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return HL_EINVAL;
    /* strtod accepts "nan" and "inf"; neither is a measurement. */
    if (!isfinite(v))
        return HL_EINVAL;
    if (errno == ERANGE && fabs(v) > 1.0)
        return HL_ETOOBIG;
    if (v < min || v > max)
        return HL_ETOOBIG;
    *out = v;
    return 0;
}

int hctl_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return HL_EINVAL;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0')
        return HL_EINVAL;
    if (errno == ERANGE || v < min || v > max)
        return HL_ETOOBIG;
    *out = v;
    return 0;
}

/* ---- Commands and options ---- */

#define C(x) (1u << (x))
#define LISTS                                                                                      \
    (C(HCTL_CMD_INCIDENTS) | C(HCTL_CMD_ALERTS) | C(HCTL_CMD_PLANS) | C(HCTL_CMD_TASKS) |          \
     C(HCTL_CMD_RESERVATIONS) | C(HCTL_CMD_STOCK) | C(HCTL_CMD_SOURCES) | C(HCTL_CMD_UNITS) |      \
     C(HCTL_CMD_LEDGER))
#define ALL 0xFFFFFFFFu
#define REMOTE (ALL & ~C(HCTL_CMD_UP)) /* commands that send a request and wait */

static const struct cmd_def {
    const char *name;
    hctl_cmd cmd;
    int min_pos, max_pos; /* positional arguments after the command */
    const char *usage;
} cmds[] = {
    {"help", HCTL_CMD_HELP, 0, 1, "hazctl help [COMMAND]"},
    {"status", HCTL_CMD_STATUS, 0, 5, "hazctl status [SERVICE...] [--json] [--timeout MS]"},
    {"reading", HCTL_CMD_READING, 4, 4,
     "hazctl reading STATION PARAMETER VALUE UNIT [--at ISO8601] [--json]"},
    {"report", HCTL_CMD_REPORT, 0, 0,
     "hazctl report --chainage KM --substance NAME [--mass-kg N] [--duration-s N] "
     "[--source ID] [--text TEXT] [--reporter UNIT] [--at ISO8601] [--json]"},
    {"incidents", HCTL_CMD_INCIDENTS, 0, 0,
     "hazctl incidents [--id INCIDENT | --incident INCIDENT] [--limit N] [--json]"},
    {"alerts", HCTL_CMD_ALERTS, 0, 0, "hazctl alerts [--limit N] [--json]"},
    {"plans", HCTL_CMD_PLANS, 0, 0,
     "hazctl plans [--id PLAN | --incident INCIDENT] [--limit N] [--json]"},
    {"tasks", HCTL_CMD_TASKS, 0, 0,
     "hazctl tasks [--incident ID] [--unit ID] [--limit N] [--json]"},
    {"reservations", HCTL_CMD_RESERVATIONS, 0, 0, "hazctl reservations [--limit N] [--json]"},
    {"stock", HCTL_CMD_STOCK, 0, 0, "hazctl stock [--limit N] [--json]"},
    {"sources", HCTL_CMD_SOURCES, 0, 0, "hazctl sources [--id SOURCE] [--limit N] [--json]"},
    {"ledger", HCTL_CMD_LEDGER, 0, 0,
     "hazctl ledger [--id DEPOT|MATERIAL] [--unit OWNER] [--limit N] [--json]"},
    {"units", HCTL_CMD_UNITS, 0, 0, "hazctl units [--limit N] [--json]"},
    {"trigger", HCTL_CMD_TRIGGER, 1, 1, "hazctl trigger INCIDENT [--json]"},
    {"up", HCTL_CMD_UP, 0, 0, "hazctl up [--partners UNIT,UNIT,...] [--ack-delay S] [--json]"},
    {"chain", HCTL_CMD_CHAIN, 1, 1, "hazctl chain TASK [--json]"},
    {"keys", HCTL_CMD_KEYS, 1, 3,
     "hazctl keys gen UNIT [--out BASE] [--print-secret] [--force] | keys add UNIT "
     "PUBLIC-KEY-FILE|Z85 | keys revoke UNIT | keys list | keys rotate-server [--json]"},
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

enum opt_id {
    O_COMMON,
    O_HELP,
    O_JSON,
    O_TIMEOUT,
    O_LIMIT,
    O_AT,
    O_CHAINAGE,
    O_SUBSTANCE,
    O_MASS,
    O_DURATION,
    O_SOURCE,
    O_TEXT,
    O_REPORTER,
    O_INCIDENT,
    O_UNIT,
    O_PARTNERS,
    O_ACK_DELAY,
    O_OUT,
    O_PRINT_SECRET,
    O_FORCE,
    O_ID,
};

static const struct opt_def {
    const char *name;
    enum opt_id id;
    int takes_value;
    unsigned cmds; /* where it is allowed */
} opts[] = {
    /* hl_main_args (hl_svc.h) */
    {"--config", O_COMMON, 1, ALL},
    {"--data", O_COMMON, 1, ALL},
    {"--base-port", O_COMMON, 1, ALL},
    {"--playbooks", O_COMMON, 1, ALL},
    {"--clock", O_COMMON, 1, ALL},
    {"--log", O_COMMON, 1, ALL},
    /* hazctl */
    {"--help", O_HELP, 0, ALL},
    {"-h", O_HELP, 0, ALL},
    {"--json", O_JSON, 0, ALL},
    {"--timeout", O_TIMEOUT, 1, REMOTE},
    {"--limit", O_LIMIT, 1, LISTS},
    {"--at", O_AT, 1, C(HCTL_CMD_READING) | C(HCTL_CMD_REPORT)},
    {"--chainage", O_CHAINAGE, 1, C(HCTL_CMD_REPORT)},
    {"--substance", O_SUBSTANCE, 1, C(HCTL_CMD_REPORT)},
    {"--mass-kg", O_MASS, 1, C(HCTL_CMD_REPORT)},
    {"--duration-s", O_DURATION, 1, C(HCTL_CMD_REPORT)},
    {"--source", O_SOURCE, 1, C(HCTL_CMD_REPORT)},
    {"--text", O_TEXT, 1, C(HCTL_CMD_REPORT)},
    {"--reporter", O_REPORTER, 1, C(HCTL_CMD_REPORT)},
    {"--incident", O_INCIDENT, 1, C(HCTL_CMD_TASKS) | C(HCTL_CMD_INCIDENTS) | C(HCTL_CMD_PLANS)},
    {"--unit", O_UNIT, 1, C(HCTL_CMD_TASKS) | C(HCTL_CMD_LEDGER)},
    {"--id", O_ID, 1,
     C(HCTL_CMD_INCIDENTS) | C(HCTL_CMD_PLANS) | C(HCTL_CMD_SOURCES) | C(HCTL_CMD_LEDGER)},
    {"--partners", O_PARTNERS, 1, C(HCTL_CMD_UP)},
    {"--ack-delay", O_ACK_DELAY, 1, C(HCTL_CMD_UP)},
    {"--out", O_OUT, 1, C(HCTL_CMD_KEYS)},
    {"--print-secret", O_PRINT_SECRET, 0, C(HCTL_CMD_KEYS)},
    {"--force", O_FORCE, 0, C(HCTL_CMD_KEYS)},
};
#define NOPTS (sizeof opts / sizeof opts[0])

const char *hctl_cmd_usage(hctl_cmd cmd)
{
    for (size_t i = 0; i < NCMDS; i++)
        if (cmds[i].cmd == cmd)
            return cmds[i].usage;
    return "hazctl COMMAND";
}

const char *hctl_help_text(void)
{
    return "hazctl — the duty officer's command line for hazlink\n"
           "\n"
           "usage: hazctl [COMMON OPTIONS] COMMAND [ARGUMENTS] [OPTIONS]\n"
           "\n"
           "commands:\n"
           "  status [SERVICE...]         each service (or the ones named: alert, playbook,\n"
           "                              stock, risk, dispatch): up/down, requests, errors,\n"
           "                              bad messages, outbox; exit 1 if any is down\n"
           "  reading STATION PARAMETER VALUE UNIT [--at ISO8601]\n"
           "                              send a monitoring reading (alert.reading)\n"
           "  report --chainage KM --substance NAME [--mass-kg N] [--duration-s N]\n"
           "         [--source ID] [--text TEXT] [--reporter UNIT] [--at ISO8601]\n"
           "                              report an incident (alert.report)\n"
           "  incidents | alerts | plans | reservations | stock | sources | units [--limit N]\n"
           "  tasks [--incident ID] [--unit ID] [--limit N]\n"
           "                              list what the services hold; incidents show the\n"
           "                              grade, deciding criterion and reporting duties,\n"
           "                              sources their HJ 941 / GB 18218 grades, plans the\n"
           "                              forecast at every downstream point\n"
           "  incidents --id ID | --incident ID, sources --id ID, plans --id ID | --incident ID\n"
           "                              one record in full (criteria, facts, duties,\n"
           "                              episodes; a source's terms)\n"
           "  ledger [--id DEPOT|MATERIAL] [--unit OWNER] [--limit N]\n"
           "                              stock ledger totals per depot and material\n"
           "  trigger INCIDENT            act on the incident's latest alert now (re-plan)\n"
           "  up [--partners UNIT,...] [--ack-delay S]\n"
           "                              start the whole stack here, and one partner agent\n"
           "                              per unit (acknowledging after S drill seconds,\n"
           "                              default 5, -1 = never); stay until Ctrl-C\n"
           "  chain TASK                  a task's escalation chain: who was told when, and\n"
           "                              the next step and when\n"
           "  keys gen UNIT [--out BASE] [--print-secret] [--force]\n"
           "                              make a CURVE key pair for a unit's partner agent\n"
           "                              (secret file mode 0600, shown only with\n"
           "                              --print-secret) and admit its public key\n"
           "  keys add UNIT PUBLIC-KEY-FILE|Z85\n"
           "                              admit a unit's public key made elsewhere\n"
           "  keys revoke UNIT            revoke every key of a unit; a running dispatch cuts\n"
           "                              its connection at once\n"
           "  keys list                   the admitted keys and the gateway's public key\n"
           "  keys rotate-server          a new key pair for the partner gateway; partners\n"
           "                              need the new public key (<data>/keys/gateway.pub)\n"
           "  help [COMMAND]              this text, or one command's usage\n"
           "\n"
           "options:\n"
           "  --json                      print JSON (field names as in proto/*.proto)\n"
           "  --timeout MS                wait at most MS ms for each reply (default: the\n"
           "                              configuration's request timeout, 5000)\n"
           "  --config FILE  --data DIR  --base-port N  --playbooks DIR  --clock SPEC\n"
           "  --log LEVEL                 common options of every hazlink program\n"
           "\n"
           "Times are shown in Beijing time (+08:00); --at takes ISO 8601 with an offset,\n"
           "e.g. 2026-07-14T09:30:00+08:00.\n"
           "\n"
           "exit status: 0 ok; 1 a service answered with an error (or status: a service is\n"
           "down); 2 bad command line; 3 a service did not answer.\n";
}

static int fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t n, const char *fmt, ...)
{
    if (err && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, n, fmt, ap);
        va_end(ap);
    }
    return HL_EINVAL;
}

static const struct cmd_def *find_cmd(const char *name)
{
    for (size_t i = 0; i < NCMDS; i++)
        if (!strcmp(cmds[i].name, name))
            return &cmds[i];
    return NULL;
}

/* Look up "--name" or "--name=value" (*eq set to the value, else NULL). */
static const struct opt_def *find_opt(const char *word, const char **eq)
{
    const char *e = strchr(word, '=');
    size_t len = e ? (size_t)(e - word) : strlen(word);
    *eq = e ? e + 1 : NULL;
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(opts[i].name) == len && !strncmp(opts[i].name, word, len))
            return &opts[i];
    return NULL;
}

static int is_option(const char *w)
{
    /* "-" alone and negative numbers are words, not options. */
    return w[0] == '-' && w[1] != '\0' && !(w[1] >= '0' && w[1] <= '9') && w[1] != '.';
}

static char *pool_dup(hctl_args *a, const char *s, size_t len)
{
    if (a->pool_used + len + 1 > sizeof a->pool)
        return NULL;
    char *p = a->pool + a->pool_used;
    memcpy(p, s, len);
    p[len] = '\0';
    a->pool_used += len + 1;
    return p;
}

static int check_id(const char *what, const char *v, const char *cmd, char *err, size_t n)
{
    if (hl_id_check(v) < 0)
        return fail(err, n,
                    "%s: %s '%s' is not an id (1..%d characters of letters, digits, . _ : -)", cmd,
                    what, v, HL_ID_MAX);
    return 0;
}

static int check_str(const char *what, const char *v, size_t max, const char *cmd, char *err,
                     size_t n)
{
    int rc = hl_str_check(v, max, 1);
    if (rc == HL_ETOOBIG)
        return fail(err, n, "%s: %s is longer than %zu bytes", cmd, what, max);
    if (rc < 0)
        return fail(err, n, "%s: %s is empty or not valid UTF-8", cmd, what);
    return 0;
}

static int number(const char *what, const char *v, double min, double max, const char *cmd,
                  double *out, char *err, size_t n)
{
    int rc = hctl_parse_double(v, min, max, out);
    if (rc == HL_ETOOBIG)
        return fail(err, n, "%s: %s '%s' is out of range (%g to %g)", cmd, what, v, min, max);
    if (rc < 0)
        return fail(err, n, "%s: %s '%s' is not a number", cmd, what, v);
    return 0;
}

static int integer(const char *what, const char *v, long min, long max, const char *cmd, long *out,
                   char *err, size_t n)
{
    int rc = hctl_parse_long(v, min, max, out);
    if (rc == HL_ETOOBIG)
        return fail(err, n, "%s: %s '%s' is out of range (%ld to %ld)", cmd, what, v, min, max);
    if (rc < 0)
        return fail(err, n, "%s: %s '%s' is not a whole number", cmd, what, v);
    return 0;
}

static int parse_partners(hctl_args *a, const char *v, char *err, size_t n)
{
    const char *p = v;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0)
            return fail(err, n, "up: --partners '%s' has an empty unit id", v);
        if (len > HL_ID_MAX)
            return fail(err, n, "up: --partners: unit id '%.*s…' is longer than %d bytes", 16, p,
                        HL_ID_MAX);
        if (a->n_partners == HCTL_MAX_PARTNERS)
            return fail(err, n, "up: --partners names more than %d units", HCTL_MAX_PARTNERS);
        char *id = a->partners[a->n_partners];
        memcpy(id, p, len);
        id[len] = '\0';
        if (check_id("--partners unit", id, "up", err, n) < 0)
            return HL_EINVAL;
        for (size_t i = 0; i < a->n_partners; i++)
            if (!strcmp(a->partners[i], id))
                return fail(err, n, "up: --partners names unit '%s' twice", id);
        a->n_partners++;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

/* Apply one hazctl option with its value (NULL for flags). */
static int apply(hctl_args *a, const struct opt_def *o, const char *v, char *err, size_t n)
{
    const char *cmd = a->cmd_name ? a->cmd_name : "hazctl";
    long l;
    switch (o->id) {
    case O_COMMON:
        return 0; /* collected by the caller */
    case O_HELP:
        a->help = 1;
        return 0;
    case O_JSON:
        a->json = 1;
        return 0;
    case O_TIMEOUT:
        if (integer("--timeout", v, 1, HCTL_TIMEOUT_MAX_MS, cmd, &l, err, n) < 0)
            return HL_EINVAL;
        a->timeout_ms = (int)l;
        return 0;
    case O_LIMIT:
        if (integer("--limit", v, 1, HL_LIST_MAX, cmd, &l, err, n) < 0)
            return HL_EINVAL;
        a->limit = (unsigned)l;
        return 0;
    case O_AT:
        if (hl_time_parse(v, &a->at_ms) < 0)
            return fail(err, n,
                        "%s: --at '%s' is not an ISO 8601 time with an offset "
                        "(e.g. 2026-07-14T09:30:00+08:00)",
                        cmd, v);
        a->has_at = 1;
        return 0;
    case O_CHAINAGE:
        a->has_chainage = 1;
        return number("--chainage", v, 0, HCTL_CHAINAGE_MAX_KM, cmd, &a->chainage_km, err, n);
    case O_SUBSTANCE:
        a->substance = v;
        return check_str("--substance", v, HL_NAME_MAX, cmd, err, n);
    case O_MASS:
        return number("--mass-kg", v, 0, 1e12, cmd, &a->mass_kg, err, n);
    case O_DURATION:
        return number("--duration-s", v, 0, 1e9, cmd, &a->duration_s, err, n);
    case O_SOURCE:
        a->source_id = v;
        return check_id("--source", v, cmd, err, n);
    case O_TEXT:
        a->text = v;
        return check_str("--text", v, HL_TEXT_MAX, cmd, err, n);
    case O_REPORTER:
        a->reporter = v;
        return check_id("--reporter", v, cmd, err, n);
    case O_INCIDENT:
        a->incident_id = v;
        return check_id("--incident", v, cmd, err, n);
    case O_UNIT:
        a->unit_id = v;
        return check_id("--unit", v, cmd, err, n);
    case O_PARTNERS:
        return parse_partners(a, v, err, n);
    case O_ACK_DELAY:
        return number("--ack-delay", v, -1, HCTL_ACK_DELAY_MAX_S, cmd, &a->ack_delay_s, err, n);
    case O_OUT:
        a->out_base = v;
        if (!v[0] || strlen(v) > HL_PATH_MAX - 8)
            return fail(err, n, "%s: --out needs a path of 1..%d bytes", cmd, HL_PATH_MAX - 8);
        return 0;
    case O_PRINT_SECRET:
        a->print_secret = 1;
        return 0;
    case O_FORCE:
        a->force = 1;
        return 0;
    case O_ID:
        a->id = v;
        return check_id("--id", v, cmd, err, n);
    }
    return fail(err, n, "%s: option %s is not handled", cmd, o->name);
}

static int keys_positional(hctl_args *a, int idx, const char *v, char *err, size_t n);

static int positional(hctl_args *a, int idx, const char *v, char *err, size_t n)
{
    const char *cmd = a->cmd_name;
    switch (a->cmd) {
    case HCTL_CMD_READING:
        switch (idx) {
        case 0:
            a->station = v;
            return check_id("STATION", v, cmd, err, n);
        case 1:
            a->parameter = v;
            return check_str("PARAMETER", v, HL_NAME_MAX, cmd, err, n);
        case 2:
            /* Concentrations and pH are never negative. */
            return number("VALUE", v, 0, 1e12, cmd, &a->value, err, n);
        default:
            a->unit = v;
            return check_str("UNIT", v, HL_NAME_MAX, cmd, err, n);
        }
    case HCTL_CMD_TRIGGER:
        a->incident_id = v;
        return check_id("INCIDENT", v, cmd, err, n);
    case HCTL_CMD_CHAIN:
        a->task_id = v;
        return check_id("TASK", v, cmd, err, n);
    case HCTL_CMD_KEYS:
        return keys_positional(a, idx, v, err, n);
    case HCTL_CMD_STATUS: {
        int known = 0;
        for (int i = 0; i < 5; i++)
            if (!strcmp(v, hl_service_names[i]))
                known = 1;
        if (!known)
            return fail(err, n,
                        "status: unknown service '%s' (alert, playbook, stock, risk, dispatch)", v);
        for (size_t i = 0; i < a->n_services; i++)
            if (!strcmp(a->services[i], v))
                return fail(err, n, "status: service '%s' named twice", v);
        a->services[a->n_services++] = v;
        return 0;
    }
    case HCTL_CMD_HELP: {
        const struct cmd_def *c = find_cmd(v);
        if (!c)
            return fail(err, n, "help: unknown command '%s'", v);
        a->help = 1;
        a->cmd = c->cmd;
        a->cmd_name = c->name;
        return 0;
    }
    default:
        return fail(err, n, "%s: unexpected argument '%s'", cmd, v);
    }
}

static const char *const reading_names[] = {"STATION", "PARAMETER", "VALUE", "UNIT"};

/* What each keys subcommand takes after its name: UNIT, and for add a KEY. */
static const struct keys_def {
    const char *name;
    hctl_keys_sub sub;
    int args; /* 0, 1 (UNIT) or 2 (UNIT KEY) */
} keys_defs[] = {{"gen", HCTL_KEYS_GEN, 1},
                 {"add", HCTL_KEYS_ADD, 2},
                 {"revoke", HCTL_KEYS_REVOKE, 1},
                 {"list", HCTL_KEYS_LIST, 0},
                 {"rotate-server", HCTL_KEYS_ROTATE_SERVER, 0}};

static const struct keys_def *keys_def_of(hctl_keys_sub sub)
{
    for (size_t i = 0; i < sizeof keys_defs / sizeof keys_defs[0]; i++)
        if (keys_defs[i].sub == sub)
            return &keys_defs[i];
    return NULL;
}

static int keys_positional(hctl_args *a, int idx, const char *v, char *err, size_t n)
{
    if (idx == 0) {
        for (size_t i = 0; i < sizeof keys_defs / sizeof keys_defs[0]; i++)
            if (!strcmp(v, keys_defs[i].name)) {
                a->keys_sub = keys_defs[i].sub;
                return 0;
            }
        return fail(err, n, "keys: unknown subcommand '%s' (gen, add, revoke, list, rotate-server)",
                    v);
    }
    const struct keys_def *d = keys_def_of(a->keys_sub);
    if (idx > d->args)
        return fail(err, n, "keys %s: unexpected argument '%s'", d->name, v);
    if (idx == 1) {
        a->keys_unit = v;
        return check_id("UNIT", v, "keys", err, n);
    }
    a->keys_key = v;
    if (!v[0] || strlen(v) > HL_PATH_MAX - 1)
        return fail(err, n, "keys add: KEY must be a z85 public key or a file path of 1..%d bytes",
                    HL_PATH_MAX - 1);
    return 0;
}

int hctl_args_parse(int argc, char **argv, hctl_args *a, char *err, size_t n)
{
    memset(a, 0, sizeof *a);
    a->ack_delay_s = HCTL_ACK_DELAY_DEFAULT_S;
    if (err && n)
        err[0] = '\0';
    a->common_argv[0] = argc > 0 ? argv[0] : "hazctl";
    a->common_argc = 1;
    if (argc > HCTL_MAX_ARGS)
        return fail(err, n, "more than %d arguments", HCTL_MAX_ARGS);

    /* Pass 1: find the command word, skipping options and their values. */
    int cmd_at = -1;
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        if (!strcmp(w, "--")) {
            if (i + 1 < argc)
                cmd_at = i + 1;
            break;
        }
        if (!is_option(w)) {
            cmd_at = i;
            break;
        }
        const char *eq;
        const struct opt_def *o = find_opt(w, &eq);
        if (!o)
            return fail(err, n, "unknown option '%s' (see hazctl --help)", w);
        if (o->takes_value && !eq)
            i++;
    }
    const struct cmd_def *c = NULL;
    if (cmd_at >= 0) {
        c = find_cmd(argv[cmd_at]);
        if (!c)
            return fail(err, n, "unknown command '%s' (see hazctl --help)", argv[cmd_at]);
        a->cmd = c->cmd;
        a->cmd_name = c->name;
    } else {
        a->cmd = HCTL_CMD_HELP;
    }
    const char *cname = a->cmd_name ? a->cmd_name : "hazctl";
    unsigned bit = C(a->cmd);

    /* Pass 2: everything, now that the command is known. */
    int npos = 0, opts_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        if (i == cmd_at)
            continue;
        if (!opts_done && !strcmp(w, "--")) {
            opts_done = 1;
            continue;
        }
        if (opts_done || !is_option(w)) {
            if (c && npos >= c->max_pos && c->cmd != HCTL_CMD_HELP)
                return fail(err, n, "%s: unexpected argument '%s'", cname, w);
            if (c && c->cmd == HCTL_CMD_HELP && npos >= 1)
                return fail(err, n, "help: unexpected argument '%s'", w);
            if (positional(a, npos++, w, err, n) < 0)
                return HL_EINVAL;
            continue;
        }
        const char *eq;
        const struct opt_def *o = find_opt(w, &eq);
        if (!o)
            return fail(err, n, "%s: unknown option '%s'", cname, w);
        if (!(o->cmds & bit) && a->cmd != HCTL_CMD_HELP)
            return fail(err, n, "%s: option %s does not apply to this command", cname, o->name);
        if (!o->takes_value && eq)
            return fail(err, n, "%s: option %s takes no value", cname, o->name);
        const char *v = eq;
        if (o->takes_value && !v) {
            if (i + 1 >= argc)
                return fail(err, n, "%s: option %s needs a value", cname, o->name);
            v = argv[++i];
        }
        if (o->id == O_COMMON) {
            if (a->common_argc + 2 > HCTL_MAX_ARGS)
                return fail(err, n, "too many common options");
            char *name = eq ? pool_dup(a, w, (size_t)(eq - 1 - w)) : argv[i - 1];
            char *val = eq ? pool_dup(a, v, strlen(v)) : argv[i];
            if (!name || !val)
                return fail(err, n, "common options are too long");
            a->common_argv[a->common_argc++] = name;
            a->common_argv[a->common_argc++] = val;
            continue;
        }
        if (apply(a, o, v, err, n) < 0)
            return HL_EINVAL;
    }
    a->common_argv[a->common_argc] = NULL;
    if (a->help)
        return 0;

    if (c && npos < c->min_pos) {
        const char *missing = "argument";
        if (c->cmd == HCTL_CMD_READING)
            missing = reading_names[npos];
        if (c->cmd == HCTL_CMD_TRIGGER)
            missing = "INCIDENT";
        if (c->cmd == HCTL_CMD_CHAIN)
            missing = "TASK";
        if (c->cmd == HCTL_CMD_KEYS)
            missing = "SUBCOMMAND (gen, add, revoke, list, rotate-server)";
        return fail(err, n, "%s: missing argument %s", cname, missing);
    }
    if (a->cmd == HCTL_CMD_KEYS) {
        const struct keys_def *d = keys_def_of(a->keys_sub);
        int given = npos - 1;
        if (given < d->args)
            return fail(err, n, "keys %s: missing argument %s", d->name,
                        given == 0 ? "UNIT" : "PUBLIC-KEY-FILE|Z85");
        if (a->keys_sub != HCTL_KEYS_GEN && (a->out_base || a->print_secret || a->force))
            return fail(err, n, "keys %s: --out, --print-secret and --force belong to keys gen",
                        d->name);
    }
    if (a->cmd == HCTL_CMD_REPORT) {
        if (!a->substance)
            return fail(err, n, "report: missing option --substance NAME");
        /* Chainage 0 is a real place (the mountain outlet), so "given" is tracked apart
         * from the value. */
        if (!a->has_chainage)
            return fail(err, n, "report: missing option --chainage KM");
    }
    return 0;
}
