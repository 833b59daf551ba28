/* Fuzz target: the envelope decoder (hl_env_unpack), then what the services do with an
 * envelope that passed: pack it again, build an error reply to it. Both must give bytes
 * that decode again: a request we accept is one we can answer. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fz_quiet();
    return 0;
}

static void must_decode(const uint8_t *buf, size_t len)
{
    Hl__Envelope *e = NULL;
    if (hl_env_unpack(buf, len, 0, &e, NULL, 0) != 0) abort();
    hl_env_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Hl__Envelope *e = NULL;
    char why[256] = "";
    int rc = hl_env_unpack(data, size, 0, &e, why, sizeof why);
    if (rc < 0) {
        if (e) abort(); /* on error *out must be NULL */
        return 0;
    }
    uint8_t *buf;
    size_t len;
    if (hl_env_pack(e, &buf, &len) == 0) {
        must_decode(buf, len);
        free(buf);
    }
    Hl__Envelope *er = NULL;
    if (hl_env_build_error("fuzz", e, HL_EINVAL, e->type, e->error ? e->error->message : why,
                           &er) == 0) {
        if (strcmp(er->correlation_id, e->msg_id) != 0) abort();
        if (hl_env_pack(er, &buf, &len) == 0) {
            must_decode(buf, len);
            free(buf);
        }
        hl_env_free(&er);
    }
    hl_env_free(&e);
    return 0;
}
