/* cmd.h — hazpartner's one-shot commands for a person at the unit.
 *
 *   list    the tasks in the unit's partner store, a readable table
 *   export  the store as JSON (tests and drills check "received exactly once" here)
 *   ack | decline | complete TASK [--reason TEXT]
 *           answer a task. The answer is first written to the partner store (where it stays
 *           until dispatch confirms or refuses it), replacing the agent's own planned answers
 *           for that task that were never sent. If an agent of the unit is running and the
 *           task is in the store, the agent sends it and this command waits for dispatch's
 *           word. Otherwise the command sends it itself through the gateway, from a DEALER
 *           whose routing id is the unit (hl_client with ZMQ_ROUTING_ID) speaking CURVE with
 *           keys (agent.h), and records the outcome. A task not in the local store (never delivered
 * here) is sent anyway and nothing is recorded: dispatch decides (another unit's task →
 * HL_EDENIED).
 *
 * Exit codes (returned): 0 done; 1 refused by dispatch or bad store; 2 usage;
 * 3 no word from dispatch in time (the answer, if recorded, stays owed and is resent by
 * `hazpartner run`).
 */
#ifndef HAZPARTNER_CMD_H
#define HAZPARTNER_CMD_H

#include <stdio.h>
#include "agent.h"
#include "hazlink/hl_config.h"

int cmd_list(const hl_config *cfg, const char *unit, FILE *out);
int cmd_export(const hl_config *cfg, const char *unit, FILE *out);
int cmd_answer(const hl_config *cfg, const char *unit, const char *task_id, const char *action,
               const char *reason, const agent_keys *keys, FILE *out);

#endif
