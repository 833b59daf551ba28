/* hl_error.h — project error codes.
 *
 * Every fallible hazlink call returns int: 0 on success or one of these negative codes.
 * hl_strerror() turns a code into a short English phrase; it never returns NULL.
 * The same codes travel in Error.code of an error reply (common.proto).
 */
#ifndef HL_ERROR_H
#define HL_ERROR_H

enum {
    HL_OK = 0,
    HL_EINVAL = -1,     /* a value is out of range or malformed */
    HL_ENOMEM = -2,     /* allocation failed */
    HL_EIO = -3,        /* file or OS error (errno is logged where it happens) */
    HL_ENOTFOUND = -4,  /* no such record, station, unit, file … */
    HL_EEXIST = -5,     /* record exists already */
    HL_EDECODE = -6,    /* undecodable message or payload */
    HL_ETOOBIG = -7,    /* message, string or list over its stated limit */
    HL_ETIMEOUT = -8,   /* no reply in time */
    HL_EMAPFULL = -9,   /* LMDB map full */
    HL_EBUSY = -10,     /* try again later */
    HL_EUNIT = -11,     /* unit of measurement cannot be converted */
    HL_ESTATE = -12,    /* not allowed in the record's current state */
    HL_EPARSE = -13,    /* data file syntax or field error (file:line in the message) */
    HL_EZMQ = -14,      /* ZeroMQ call failed */
    HL_ESTORE = -15,    /* LMDB call failed */
    HL_EDENIED = -16,   /* not allowed for this caller */
    HL_EUNKNOWN = -17,  /* unknown message type */
    HL_ECLOSED = -18,   /* object is shutting down */
};

/* Short phrase for rc (0 or HL_E*). Static storage; never NULL. */
const char *hl_strerror(int rc);

#endif
