/* agent.h — `hazpartner run`: the partner agent of one unit.
 *
 * Connects a DEALER to dispatch's partner gateway with routing id = the unit id, speaking
 * CURVE with the unit's key pair and the gateway's public key (agent_keys; dispatch admits
 * only listed keys and takes the unit from the key, never from a payload), and:
 *  - says partner.hello at start and every AGENT_HELLO_MS real ms (heartbeat); after
 *    AGENT_HELLO_MISSES hellos without an answer, or when dispatch does not know the
 *    connection's unit, it drops the connection and connects again, so a restarted dispatch
 *    or a stolen routing id is recovered. (Without CURVE the routing id is the unit, and a
 *    second connection under the same id takes it over, ZMQ_ROUTER_HANDOVER; the old
 *    connection then stays open but deaf, which only a missed hello reveals.);
 *  - on each task.deliver push: a task it has not seen is written to the partner store with
 *    shown_count 1 and only then printed to stdout, one line:
 *        2026-11-30T10:00:12+08:00 <task id> <kind> <title>
 *    (time of arrival, drill clock, Beijing time); a task already in the store is counted as
 *    a redelivery and not shown again, unless
 *     - dispatch revised it (issue 4: the pushed Task.revisions is above the stored copy's):
 *       the store takes the new copy, counts it in the record's revisions (never in
 *       shown_count or deliveries) and prints
 *           2026-11-30T10:20:12+08:00 <task id> UPDATED <k>: due <due time>: <title>
 *       or, for a withdrawn task (its answers not sent yet are dropped),
 *           2026-11-30T10:20:12+08:00 <task id> WITHDRAWN: <reason>
 *       (a withdrawn task never seen before is stored, not shown: there is nothing to call
 *       off);
 *     - dispatch marks the push as a reminder of an unacknowledged task
 *       (TaskDelivery.reminder k > 0), which prints
 *           2026-11-30T10:15:12+08:00 <task id> REMINDER <k>: not acknowledged yet: <title>
 *    Either way a task.receipt goes back, naming the revision that arrived;
 *  - plans its own answers (policy.h) and sends each when it falls due: at once when it is
 *    due already (acknowledgement delay 0), else from a timer set to its due time; one
 *    answer per task at a time, in order, kept in the store until dispatch confirms or
 *    refuses it: an agent killed and started again sends what it still owes. A safety sweep
 *    every AGENT_SWEEP_MS also sends answers queued by a person and resends lost ones;
 *  - sends answers a person queued with `hazpartner ack|decline|complete` while it runs.
 * One agent per unit and data dir: a second one exits with an error (agent.lock).
 * SIGINT/SIGTERM stop it cleanly; SIGKILL loses nothing that was committed.
 */
#ifndef HAZPARTNER_AGENT_H
#define HAZPARTNER_AGENT_H

#include "hazlink/hl_config.h"
#include "hazlink/hl_zap.h"
#include "policy.h"

#define AGENT_TICK_MS 100           /* real ms between checks of the connection (hellos) */
#define AGENT_SWEEP_MS                                                                             \
    1000 /* real ms between safety sweeps of owed answers: answers a person queued from another \
            process, resends after a lost reply. Planned answers do not wait for it: the agent \
            sends an answer due now at once and sets a timer for the next one's due time */
#define AGENT_HELLO_MS 2000         /* real ms between hellos */
#define AGENT_HELLO_TIMEOUT_MS 1500 /* real ms to wait for the answer to a hello */
#define AGENT_HELLO_MISSES                                                                         \
    1                             /* unanswered hellos before reconnecting: a hello is cheap       \
                                     to answer, so one miss means a dead dispatch or a dead        \
                                     connection, and a new connection costs little */
#define AGENT_REQ_TIMEOUT_MS 3000 /* real ms to wait for a receipt's or answer's reply */
#define AGENT_INFLIGHT_MAX 256    /* answers awaiting a reply at once */
#define AGENT_VERSION "hazpartner 0.1"

/* The agent's keys: key_base names the unit's pair (<key_base>.key, 0600, and .pub;
 * hl_keys_load), server_pub the gateway's public key file. Both empty: no CURVE (a
 * dispatch gateway refuses such a connection; kept for tests of exactly that). Both are read
 * again at every (re)connection, so a rotated gateway key only needs its file replaced. */
typedef struct agent_keys {
    char key_base[HL_PATH_MAX + 8];
    char server_pub[HL_PATH_MAX + 8];
} agent_keys;

/* Fill keys from the command line: key is the pair's base path, or the path of its .key
 * file; server the gateway's public key file. Both or neither. HL_EINVAL with err. */
int agent_keys_set(agent_keys *keys, const char *key, const char *server, char *err, size_t errlen);

/* Socket options for a gateway connection of unit with keys: ZMQ_ROUTING_ID = unit, then the
 * CURVE client options (kept in *curve, which must outlive the options). Returns how many
 * (at most AGENT_SOCK_OPTS) or an error of hl_curve_client_load (err names the file). */
#define AGENT_SOCK_OPTS (1 + HL_CURVE_MAX_OPTS)
int agent_sock_opts(const agent_keys *keys, const char *unit, hl_curve *curve,
                    hl_sock_opt opts[AGENT_SOCK_OPTS], char *err, size_t errlen);

/* Run until SIGINT/SIGTERM. Returns 0 after a clean stop; HL_EBUSY if another agent of the
 * unit runs on the same data dir; HL_EINVAL/HL_EIO/HL_EDENIED when its keys cannot be read
 * at start (logged, naming the file); store, bus and client errors otherwise (logged). */
int agent_run(const hl_config *cfg, const char *unit, const policy *pol, const agent_keys *keys);

#endif
