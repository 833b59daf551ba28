/* hctl_args.h — the hazctl command line, parsed and checked before anything is sent.
 *
 * Pure: argv in, a filled hctl_args out (or a sentence naming the bad word). No I/O, no
 * clock: "now" for a reading without --at is decided by the caller.
 *
 *   hazctl [COMMON] [--json] [--timeout MS] COMMAND [ARGS] [OPTIONS]
 *
 * Options may come before or after the command, as "--opt VALUE" or "--opt=VALUE"; "--"
 * ends the options. COMMON are the options every hazlink program takes (hl_main_args,
 * hl_svc.h): --config FILE, --data DIR, --base-port N, --playbooks DIR, --clock SPEC,
 * --log LEVEL. They are collected into common_argv unchecked; hl_main_args checks their
 * values. Everything else is checked here:
 *  - numbers with strtod/strtol, the whole word must be the number (no trailing junk),
 *    finite, and within the stated range;
 *  - times as ISO 8601 with an explicit offset (hl_time_parse);
 *  - ids with hl_id_check (1..HL_ID_MAX bytes of [A-Za-z0-9._:-]), names and text with
 *    hl_str_check (UTF-8, HL_NAME_MAX / HL_TEXT_MAX bytes).
 * A failure returns HL_EINVAL and writes one line naming the command, the argument or option
 * and the offending word; the caller prints it with the command's usage and exits 2.
 */
#ifndef HCTL_ARGS_H
#define HCTL_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "hazlink/hl_codec.h"

typedef enum hctl_cmd {
    HCTL_CMD_HELP = 0,
    HCTL_CMD_STATUS,
    HCTL_CMD_READING,
    HCTL_CMD_REPORT,
    HCTL_CMD_INCIDENTS,
    HCTL_CMD_ALERTS,
    HCTL_CMD_PLANS,
    HCTL_CMD_TASKS,
    HCTL_CMD_RESERVATIONS,
    HCTL_CMD_STOCK,
    HCTL_CMD_SOURCES,
    HCTL_CMD_UNITS,
    HCTL_CMD_TRIGGER,
    HCTL_CMD_UP,
    HCTL_CMD_CHAIN, /* added (issue 3) */
    HCTL_CMD_KEYS,  /* added (issue 3) */
    HCTL_CMD_LEDGER,
    HCTL_CMD_COUNT
} hctl_cmd;

/* keys SUBCOMMAND (issue 3; docs/trust-model.md). */
typedef enum hctl_keys_sub {
    HCTL_KEYS_NONE = 0,
    HCTL_KEYS_GEN,          /* keys gen UNIT [--out BASE] [--print-secret] [--force] */
    HCTL_KEYS_ADD,          /* keys add UNIT PUBLIC-KEY-FILE|Z85 */
    HCTL_KEYS_REVOKE,       /* keys revoke UNIT */
    HCTL_KEYS_LIST,         /* keys list */
    HCTL_KEYS_ROTATE_SERVER /* keys rotate-server */
} hctl_keys_sub;

#define HCTL_MAX_ARGS 128            /* words on the command line */
#define HCTL_MAX_PARTNERS 32         /* units in up --partners */
#define HCTL_TIMEOUT_MAX_MS 600000   /* --timeout: 1 ms .. 10 min */
#define HCTL_CHAINAGE_MAX_KM 10000.0 /* --chainage: 0 .. 10000 km */
#define HCTL_ACK_DELAY_DEFAULT_S 5.0 /* up: partners acknowledge after 5 s by default */
#define HCTL_ACK_DELAY_MAX_S 86400.0 /* --ack-delay: -1 .. one day */
#define HCTL_POOL_BYTES 2048         /* copies of "--common=value" split in two words */

typedef struct hctl_args {
    hctl_cmd cmd;
    const char *cmd_name; /* as typed; NULL when no command was given */
    int help;             /* --help / -h / "help": print usage (of cmd, if named), exit 0 */
    int json;             /* --json */
    int timeout_ms;       /* --timeout; 0 = configuration's request_timeout_ms */
    unsigned limit;       /* --limit (list commands); 0 = the service's default */

    /* Common options for hl_main_args: common_argv[0] is argv[0], NULL-terminated. Strings
     * point into argv or into pool. */
    char *common_argv[HCTL_MAX_ARGS + 2];
    int common_argc;
    char pool[HCTL_POOL_BYTES];
    size_t pool_used;

    /* reading STATION PARAMETER VALUE UNIT [--at ISO8601] */
    const char *station;
    const char *parameter;
    double value;
    const char *unit;
    int has_at;    /* --at given (reading: measured time; report: start time) */
    int64_t at_ms; /* Unix ms UTC */

    /* report --chainage KM --substance NAME [--mass-kg N] [--duration-s N] [--source ID]
     *        [--text ...] [--reporter UNIT] [--at ISO8601] */
    double chainage_km;
    int has_chainage;
    const char *substance;
    double mass_kg;    /* 0 = unknown */
    double duration_s; /* 0 = instantaneous */
    const char *source_id;
    const char *text;
    const char *reporter;

    /* status [SERVICE...]: which services to ask (names from hl_service_names); none = all */
    const char *services[5];
    size_t n_services;

    /* trigger INCIDENT; tasks --incident ID --unit ID; incidents, plans --incident ID;
     * ledger --unit OWNER */
    const char *incident_id;
    const char *unit_id;
    /* incidents, plans, sources, ledger --id ID: one record (ledger: a depot or material) */
    const char *id;

    /* up --partners a,b,c [--ack-delay S] */
    double ack_delay_s; /* drill seconds before a partner acknowledges; < 0 = never
                           automatically; default HCTL_ACK_DELAY_DEFAULT_S */
    char partners[HCTL_MAX_PARTNERS][HL_ID_MAX + 1];
    size_t n_partners;

    /* chain TASK */
    const char *task_id;

    /* keys SUB [UNIT] [KEY] [--out BASE] [--print-secret] [--force] */
    hctl_keys_sub keys_sub;
    const char *keys_unit; /* gen, add, revoke */
    const char *keys_key;  /* add: a z85 public key, or the path of a file holding one */
    const char *out_base;  /* gen --out: base path of the pair (BASE.key, BASE.pub) */
    int print_secret;      /* gen --print-secret: also print the secret key */
    int force;             /* gen --force: replace an existing pair (its old key revoked) */
} hctl_args;

/* Parse argv (argc words, argv[0] the program). Returns 0, or HL_EINVAL with err filled
 * ("reading: VALUE '1.5x' is not a number"). out is always initialised. */
int hctl_args_parse(int argc, char **argv, hctl_args *out, char *err, size_t errlen);

/* One-line usage of a command ("hazctl reading STATION PARAMETER VALUE UNIT [--at ISO8601]"). */
const char *hctl_cmd_usage(hctl_cmd cmd);

/* The full help text (every command and option). Static storage. */
const char *hctl_help_text(void);

/* ---- Number words (exposed for tests) ---- */

/* Whole-word decimal number: strtod, no trailing junk, finite, in [min, max].
 * HL_EINVAL (not a number) or HL_ETOOBIG (out of range). */
int hctl_parse_double(const char *s, double min, double max, double *out);
/* Whole-word base-10 integer: strtol, no trailing junk, in [min, max]. Same errors. */
int hctl_parse_long(const char *s, long min, long max, long *out);

#endif
