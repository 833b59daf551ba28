/* hl_config.h — one configuration for all programs.
 *
 * Built-in defaults serve the demo with no file: data under ./hazlink-data, services on
 * 127.0.0.1 from port 7100, built-in playbooks from the source tree (HL_PLAYBOOK_DIR at build
 * time). A YAML file (flat mapping of the keys below) overrides defaults; then environment
 * variables override the file:
 *   HAZLINK_CONFIG     path of the file (when the caller passes NULL)
 *   HAZLINK_DATA       data_dir
 *   HAZLINK_HOST       host services bind/connect to (loopback by default)
 *   HAZLINK_BIND       host or interface services bind to, when it differs from the one
 *                      others connect to (containers: "0.0.0.0"); default: HAZLINK_HOST
 *   HAZLINK_HOST_ALERT, _PLAYBOOK, _STOCK, _RISK, _DISPATCH
 *                      host to connect to for that one service (containers: its name);
 *                      default: HAZLINK_HOST
 *   HAZLINK_BASE_PORT  base_port
 *   HAZLINK_PLAYBOOKS  playbook_dir
 *   HAZLINK_CLOCK      clock spec (hl_clock.h)
 *   HAZLINK_SEASON     season used by forecasts
 *
 * hl_config_endpoint gives the address to connect to (the per-service host when one is set);
 * hl_config_bind_endpoint the address a service binds.
 *
 * Ports: service i (alert 0, playbook 1, stock 2, risk 3, dispatch 4) binds
 *   requests  base_port + 10*i + 0   (ROUTER)
 *   events    base_port + 10*i + 1   (PUB)
 *   gateway   base_port + 10*i + 2   (dispatch only: partner gateway ROUTER)
 */
#ifndef HL_CONFIG_H
#define HL_CONFIG_H

#include <stddef.h>

#define HL_PATH_MAX 512

typedef struct hl_config {
    char data_dir[HL_PATH_MAX];
    char playbook_dir[HL_PATH_MAX];  /* contains reference/ and kuitun/ */
    char plan[64];                   /* plan folder under playbook_dir; default "kuitun" */
    char host[64];                   /* default "127.0.0.1" */
    char bind_host[64];              /* "" = host; file key bind_host */
    char service_host[5][64];        /* per service (hl_service_names order), "" = host;
                                        file keys host_alert, host_playbook, … */
    int base_port;                   /* default 7100; 1024..65000 */
    char clock[128];                 /* clock spec, "" = real time */
    char season[16];                 /* "spring","summer","autumn","winter"; "" = by date */
    int log_level;                   /* HL_LOG_* */
    size_t max_msg_bytes;            /* ZMQ_MAXMSGSIZE and decode bound; default 1 MiB */
    size_t map_size;                 /* LMDB map size in bytes; default 1 GiB */
    int request_timeout_ms;          /* default 5000 (real ms) */
    int resend_ms;                   /* outbox resend interval, real ms; default 1000 */
} hl_config;

/* Service names in port order. */
extern const char *const hl_service_names[5];

/* Fill *out with defaults, then the file (path, or $HAZLINK_CONFIG when path is NULL, or
 * nothing), then the environment. On error returns HL_EPARSE/HL_EINVAL/HL_EIO and writes
 * "file:line: field: what" into err. */
int hl_config_load(const char *path, hl_config *out, char *err, size_t errlen);
/* Added: defaults, then the YAML text buf (len bytes; name is used in messages as the file
 * name). The environment is NOT applied: this is for tests and the fuzzer, and for callers
 * that hold a configuration in memory. Errors as hl_config_load. */
int hl_config_load_mem(const char *name, const void *buf, size_t len, hl_config *out,
                       char *err, size_t errlen);

/* Endpoint of service (name from hl_service_names) for kind "req", "pub" or "gw", as
 * "tcp://host:port". Returns HL_ENOTFOUND for an unknown service or kind, HL_ETOOBIG if n
 * is short. */
int hl_config_endpoint(const hl_config *c, const char *service, const char *kind, char *buf,
                       size_t n);

/* The endpoint service binds for kind: like hl_config_endpoint but on bind_host (or host).
 * Same errors. */
int hl_config_bind_endpoint(const hl_config *c, const char *service, const char *kind,
                            char *buf, size_t n);

/* data_dir/sub into buf (HL_ETOOBIG if it does not fit). */
int hl_config_path(const hl_config *c, const char *sub, char *buf, size_t n);

#endif
