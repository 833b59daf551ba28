/* hl_error.c — phrases for the project error codes. */
#include "hazlink/hl_error.h"
#include "hl_internal.h"

#include <stdarg.h>
#include <stdio.h>

const char *hl_strerror(int rc)
{
    switch (rc) {
    case HL_OK: return "ok";
    case HL_EINVAL: return "invalid value";
    case HL_ENOMEM: return "out of memory";
    case HL_EIO: return "input/output error";
    case HL_ENOTFOUND: return "not found";
    case HL_EEXIST: return "already exists";
    case HL_EDECODE: return "undecodable message";
    case HL_ETOOBIG: return "over its size limit";
    case HL_ETIMEOUT: return "timed out";
    case HL_EMAPFULL: return "storage map full";
    case HL_EBUSY: return "busy, try again later";
    case HL_EUNIT: return "unit cannot be converted";
    case HL_ESTATE: return "not allowed in the current state";
    case HL_EPARSE: return "data file error";
    case HL_EZMQ: return "ZeroMQ error";
    case HL_ESTORE: return "storage error";
    case HL_EDENIED: return "denied";
    case HL_EUNKNOWN: return "unknown message type";
    case HL_ECLOSED: return "shutting down";
    default: return "unknown error";
    }
}

void hl__errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
