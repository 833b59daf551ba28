/* rm.c — see rm.h. */
#include "rm.h"

#include <string.h>
#include <strings.h>

#include "hazlink/hl_error.h"

static const char *const state_names[STOCK_RM_STATE_N] = {"requested", "accepted",  "provisional",
                                                          "declined",  "committed", "fulfilled"};
static const char *const answer_names[] = {"Accept", "Decline", "Provisional"};

const char *stock_rm_state_name(stock_rm_state s)
{
    if ((int)s < 0 || s >= STOCK_RM_STATE_N)
        return "?";
    return state_names[s];
}

int stock_rm_state_parse(const char *name, stock_rm_state *out)
{
    for (int i = 0; name && i < STOCK_RM_STATE_N; i++)
        if (strcmp(name, state_names[i]) == 0) {
            *out = (stock_rm_state)i;
            return 0;
        }
    return HL_EINVAL;
}

const char *stock_rm_answer_name(stock_rm_answer a)
{
    if ((int)a < 0 || (size_t)a >= sizeof answer_names / sizeof answer_names[0])
        return "?";
    return answer_names[a];
}

int stock_rm_answer_parse(const char *name, stock_rm_answer *out)
{
    /* The schema's value is capitalised; people type it either way. */
    for (size_t i = 0; name && i < sizeof answer_names / sizeof answer_names[0]; i++)
        if (strcasecmp(name, answer_names[i]) == 0) {
            *out = (stock_rm_answer)i;
            return 0;
        }
    return HL_EINVAL;
}

const char *stock_rm_message_type(int is_request, stock_rm_step step)
{
    if (is_request)
        return "RequestResource";
    switch (step) {
    case STOCK_RM_RESPOND:
        return "ResponseToRequestResource";
    case STOCK_RM_COMMIT:
        return "CommitResource";
    case STOCK_RM_FULFIL:
        return "ReportResourceDeploymentStatus";
    }
    return "?";
}

const char *stock_rm_id_prefix(int is_request, stock_rm_step step)
{
    if (is_request)
        return "rq";
    switch (step) {
    case STOCK_RM_RESPOND:
        return "rp";
    case STOCK_RM_COMMIT:
        return "cm";
    case STOCK_RM_FULFIL:
        return "ff";
    }
    return "?";
}

int stock_rm_transition(stock_rm_state from, stock_rm_step step, stock_rm_answer answer,
                        stock_rm_state *to)
{
    switch (step) {
    case STOCK_RM_RESPOND:
        if (from != STOCK_RM_REQUESTED && from != STOCK_RM_PROVISIONAL)
            return HL_ESTATE;
        if (answer == STOCK_RM_ACCEPT)
            *to = STOCK_RM_ACCEPTED;
        else if (answer == STOCK_RM_DECLINE)
            *to = STOCK_RM_DECLINED;
        else if (answer == STOCK_RM_PROVISIONAL_ANSWER)
            *to = STOCK_RM_PROVISIONAL;
        else
            return HL_ESTATE;
        return 0;
    case STOCK_RM_COMMIT:
        if (from != STOCK_RM_ACCEPTED && from != STOCK_RM_PROVISIONAL)
            return HL_ESTATE;
        *to = STOCK_RM_COMMITTED;
        return 0;
    case STOCK_RM_FULFIL:
        if (from != STOCK_RM_COMMITTED)
            return HL_ESTATE;
        *to = STOCK_RM_FULFILLED;
        return 0;
    }
    return HL_ESTATE;
}

int stock_rm_answer_check(stock_rm_answer a, const char *reason_code, const char *reason)
{
    if (a == STOCK_RM_PROVISIONAL_ANSWER && !(reason_code && reason_code[0]) &&
        !(reason && reason[0]))
        return HL_EINVAL;
    return 0;
}

static double total_of(const stock_need *n, size_t k, const char *material, int *found)
{
    double s = 0;
    *found = 0;
    for (size_t i = 0; i < k; i++)
        if (strcmp(n[i].material_id, material) == 0) {
            s += n[i].quantity;
            *found = 1;
        }
    return s;
}

int stock_rm_within(const stock_need *part, size_t npart, const stock_need *whole, size_t nwhole,
                    size_t *bad)
{
    for (size_t i = 0; i < npart; i++) {
        int in_whole, dummy;
        double w = total_of(whole, nwhole, part[i].material_id, &in_whole);
        double p = total_of(part, npart, part[i].material_id, &dummy);
        if (!in_whole || p > w + STOCK_EPS) {
            if (bad)
                *bad = i;
            return in_whole ? HL_ESTATE : HL_EINVAL;
        }
    }
    return 0;
}
