/* rm.h — requests for materials between agencies, chained as EDXL-RM 1.0 does (pure).
 *
 * OASIS Emergency Data Exchange Language Resource Messaging (EDXL-RM) 1.0 keeps a request,
 * the answer to it, the commitment and the report of deployment as separate messages, each
 * with its own MessageID, all carrying the OriginatingMessageID of the request and the
 * PrecedingMessageID of the message they answer. hazlink keeps the same chain for a unit
 * (a corps regiment, a local bureau, an enterprise team) asking another agency's depot:
 *
 *   step        EDXL-RM message (MessageContentType)              id     state after
 *   request     RequestResource                                   rq-…   requested
 *   respond     ResponseToRequestResource, ResponseInformation/    rp-…   accepted | provisional
 *               ResponseType Accept | Decline | Provisional              | declined
 *   commit      CommitResource (ScheduleType Committed)            cm-…   committed
 *   fulfil      ReportResourceDeploymentStatus (ScheduleType       ff-…   fulfilled
 *               ActualArrival)
 *
 *   requested ──respond──▶ accepted | provisional | declined
 *   provisional ─respond─▶ accepted | provisional | declined   (the holder settles its terms)
 *   accepted | provisional ──commit──▶ committed               (reserves in the ledger)
 *   committed ──fulfil──▶ fulfilled                            (issues from the ledger)
 *   declined and fulfilled are final; anything else is HL_ESTATE.
 *
 * A Provisional response must give ReasonCode or ResponseReason (EDXL-RM 1.0
 * EDXL-RMCommonTypes.xsd, ResponseInformationType: "If the ResponseType element has the
 * value "Provisional", one (or both) of ReasonCode and ResponseReason must be present").
 * An offer never exceeds what was asked, and a commitment never exceeds what was offered,
 * material by material.
 */
#ifndef STOCK_RM_H
#define STOCK_RM_H

#include <stddef.h>
#include "reserve.h"

typedef enum {
    STOCK_RM_REQUESTED = 0,
    STOCK_RM_ACCEPTED,
    STOCK_RM_PROVISIONAL,
    STOCK_RM_DECLINED,
    STOCK_RM_COMMITTED,
    STOCK_RM_FULFILLED,
    STOCK_RM_STATE_N
} stock_rm_state;

/* ResponseTypeType (EDXL-RMCommonTypes.xsd): Accept, Decline, Provisional. */
typedef enum { STOCK_RM_ACCEPT = 0, STOCK_RM_DECLINE, STOCK_RM_PROVISIONAL_ANSWER } stock_rm_answer;

typedef enum { STOCK_RM_RESPOND = 0, STOCK_RM_COMMIT, STOCK_RM_FULFIL } stock_rm_step;

/* "requested", "accepted", "provisional", "declined", "committed", "fulfilled"; "?" if bad. */
const char *stock_rm_state_name(stock_rm_state s);
int stock_rm_state_parse(const char *name, stock_rm_state *out); /* HL_EINVAL */

/* "Accept", "Decline", "Provisional": the EDXL-RM spelling. */
const char *stock_rm_answer_name(stock_rm_answer a);
/* Either spelling: "accept" or "Accept" (the element value), and so on. HL_EINVAL. */
int stock_rm_answer_parse(const char *name, stock_rm_answer *out);

/* The EDXL-RM MessageContentType of a step's message; "RequestResource" for the request. */
const char *stock_rm_message_type(int is_request, stock_rm_step step);
/* The id prefix of a step: "rq" (request), "rp", "cm", "ff". */
const char *stock_rm_id_prefix(int is_request, stock_rm_step step);

/* The state after step (answer used by STOCK_RM_RESPOND only), per the diagram. HL_ESTATE. */
int stock_rm_transition(stock_rm_state from, stock_rm_step step, stock_rm_answer answer,
                        stock_rm_state *to);

/* A response's own rule: Provisional needs reason_code or reason (either may be NULL).
 * HL_EINVAL. */
int stock_rm_answer_check(stock_rm_answer a, const char *reason_code, const char *reason);

/* Every material of part[] is in whole[] and its total in part does not exceed its total
 * in whole. *bad (may be NULL) gets the index in part of the first one that fails.
 * HL_EINVAL (a material not in whole), HL_ESTATE (more than whole). */
int stock_rm_within(const stock_need *part, size_t npart, const stock_need *whole, size_t nwhole,
                    size_t *bad);

#endif
