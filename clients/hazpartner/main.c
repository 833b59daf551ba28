/* hazpartner — the agent a partner agency runs to receive, acknowledge and report on tasks.
 *
 *   hazpartner run --unit ID [--key FILE --server-key FILE] [--ack-delay S]
 *                  [--auto-complete S] [--decline-kinds KIND,KIND --reason TEXT]
 *   hazpartner list --unit ID
 *   hazpartner export --unit ID --json
 *   hazpartner ack|decline|complete --unit ID TASK [--reason TEXT]
 *                  [--key FILE --server-key FILE]
 * plus the common options of every hazlink program (--config, --data, --base-port,
 * --playbooks, --clock, --log; hl_main_args). Seconds are drill seconds. --key names the
 * unit's CURVE key pair (its base path, or its .key file; agent.h), --server-key the
 * gateway's public key file: with them the agent speaks CURVE, as dispatch requires.
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "cmd.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_svc.h"
#include "policy.h"

#define HP_ARGS_MAX 64

static void usage(FILE *f)
{
    fprintf(f, "usage: hazpartner run --unit ID [--key FILE --server-key FILE]\n"
               "                      [--ack-delay S] [--auto-complete S]\n"
               "                      [--decline-kinds KIND,KIND --reason TEXT]\n"
               "       hazpartner list --unit ID\n"
               "       hazpartner export --unit ID --json\n"
               "       hazpartner ack|decline|complete --unit ID TASK [--reason TEXT]\n"
               "                      [--key FILE --server-key FILE]\n"
               "common options: --config FILE --data DIR --base-port N --playbooks DIR\n"
               "                --clock SPEC --log LEVEL\n"
               "S are drill seconds. The unit's own store is <data>/partner-<ID>.\n"
               "--key FILE: the unit's CURVE key pair (FILE.key, mode 0600, and FILE.pub, as\n"
               "`hazctl keys gen` writes them); --server-key FILE: the gateway's public key\n"
               "(gateway.pub from dispatch's data dir). dispatch admits only listed keys.\n");
}

/* Options hl_main_args understands, all with one value. */
static int hp_common(const char *opt)
{
    static const char *const common[] = {"--config", "--data", "--base-port", "--playbooks",
                                         "--clock",  "--log",  NULL};
    for (size_t i = 0; common[i]; i++)
        if (strcmp(opt, common[i]) == 0)
            return 1;
    return 0;
}

typedef struct hp_args {
    const char *cmd, *unit, *task, *reason, *ack_delay, *auto_complete, *decline_kinds;
    const char *key, *server_key;
    int json;
} hp_args;

/* Split argv: hazpartner's own options into a, the common ones into rest (for
 * hl_main_args). Returns 0, or 2 after printing what is wrong. */
static int hp_parse(int argc, char **argv, hp_args *a, char **rest, int *nrest)
{
    struct {
        const char *name;
        const char **dst;
    } own[] = {{"--unit", &a->unit},
               {"--reason", &a->reason},
               {"--ack-delay", &a->ack_delay},
               {"--auto-complete", &a->auto_complete},
               {"--decline-kinds", &a->decline_kinds},
               {"--key", &a->key},
               {"--server-key", &a->server_key}};
    rest[(*nrest)++] = argv[0];
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        int matched = 0;
        for (size_t k = 0; k < sizeof own / sizeof own[0]; k++) {
            if (strcmp(o, own[k].name) != 0)
                continue;
            if (i + 1 >= argc) {
                fprintf(stderr, "hazpartner: %s needs a value\n", o);
                return 2;
            }
            *own[k].dst = argv[++i];
            matched = 1;
        }
        if (matched)
            continue;
        if (strcmp(o, "--json") == 0) {
            a->json = 1;
        } else if (hp_common(o)) {
            if (i + 1 >= argc || *nrest + 2 >= HP_ARGS_MAX) {
                fprintf(stderr, "hazpartner: %s needs a value\n", o);
                return 2;
            }
            rest[(*nrest)++] = argv[i];
            rest[(*nrest)++] = argv[++i];
        } else if (o[0] != '-' && !a->task) {
            a->task = o;
        } else {
            fprintf(stderr, "hazpartner: unexpected argument '%s'\n", o);
            return 2;
        }
    }
    rest[*nrest] = NULL;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (argc > HP_ARGS_MAX) {
        fprintf(stderr, "hazpartner: too many arguments\n");
        return 2;
    }
    hp_args a = {.cmd = argv[1]};
    char *rest[HP_ARGS_MAX + 1];
    int nrest = 0;
    if (hp_parse(argc, argv, &a, rest, &nrest) != 0) {
        usage(stderr);
        return 2;
    }
    hl_config cfg;
    int argi = 1;
    if (hl_main_args(nrest, rest, "hazpartner", &cfg, &argi) < 0)
        return 2;
    if (argi < nrest) {
        fprintf(stderr, "hazpartner: unexpected argument '%s'\n", rest[argi]);
        return 2;
    }
    if (!a.unit || hl_id_check(a.unit) < 0) {
        fprintf(stderr, "hazpartner %s: --unit ID is required (a unit id of the roster)\n", a.cmd);
        return 2;
    }
    const char *c = a.cmd;
    int answer = strcmp(c, "ack") == 0 || strcmp(c, "decline") == 0 || strcmp(c, "complete") == 0;
    agent_keys keys;
    char kerr[256];
    if (agent_keys_set(&keys, a.key, a.server_key, kerr, sizeof kerr) < 0) {
        fprintf(stderr, "hazpartner %s: %s\n", c, kerr);
        return 2;
    }
    if ((a.key || a.server_key) && strcmp(c, "run") != 0 && !answer) {
        fprintf(stderr,
                "hazpartner %s: --key and --server-key belong to run, ack, decline and "
                "complete\n",
                c);
        return 2;
    }
    if (!answer && a.task) {
        fprintf(stderr, "hazpartner %s: unexpected argument '%s'\n", c, a.task);
        return 2;
    }
    if (strcmp(c, "run") == 0) {
        policy pol;
        char err[256];
        policy_init(&pol);
        if ((a.ack_delay && policy_parse_seconds("--ack-delay", a.ack_delay, &pol.ack_delay_ms, err,
                                                 sizeof err) < 0) ||
            (a.auto_complete && policy_parse_seconds("--auto-complete", a.auto_complete,
                                                     &pol.complete_ms, err, sizeof err) < 0) ||
            (a.decline_kinds && policy_parse_kinds(&pol, a.decline_kinds, err, sizeof err) < 0)) {
            fprintf(stderr, "hazpartner run: %s\n", err);
            return 2;
        }
        if (a.reason) {
            if (hl_str_check(a.reason, HL_TEXT_MAX, 1) < 0) {
                fprintf(stderr, "hazpartner run: --reason: 1..%d bytes of UTF-8\n", HL_TEXT_MAX);
                return 2;
            }
            snprintf(pol.reason, sizeof pol.reason, "%s", a.reason);
        }
        if (policy_check(&pol, err, sizeof err) < 0) {
            fprintf(stderr, "hazpartner run: %s\n", err);
            return 2;
        }
        return agent_run(&cfg, a.unit, &pol, &keys) < 0 ? 1 : 0;
    }
    if (a.ack_delay || a.auto_complete || a.decline_kinds) {
        fprintf(stderr,
                "hazpartner %s: --ack-delay, --auto-complete and --decline-kinds "
                "belong to 'run'\n",
                c);
        return 2;
    }
    if (strcmp(c, "list") == 0)
        return cmd_list(&cfg, a.unit, stdout);
    if (strcmp(c, "export") == 0) {
        if (!a.json) {
            fprintf(stderr, "hazpartner export: --json is the only format\n");
            return 2;
        }
        return cmd_export(&cfg, a.unit, stdout);
    }
    if (answer) {
        if (!a.task) {
            fprintf(stderr, "hazpartner %s: which task? (hazpartner %s --unit ID TASK)\n", c, c);
            return 2;
        }
        return cmd_answer(&cfg, a.unit, a.task, c, a.reason, &keys, stdout);
    }
    fprintf(stderr, "hazpartner: unknown command '%s'\n", c);
    usage(stderr);
    return 2;
}
