/* Fuzz target: every payload decoder. The first byte picks a message type among all the
 * messages of proto/ (every .proto file) (fuzz_descriptors.h, generated from the protobuf-c headers at
 * build time, sorted by name); the rest is unpacked with hl_msg_unpack as handlers do. A
 * message that decodes must pack again to bytes that decode again to the same size. */
#include <stdlib.h>

#include "fuzz_descriptors.h"
#include "fuzz_util.h"
#include "hazlink/hl_codec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fz_quiet();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const ProtobufCMessageDescriptor *d = fz_descriptors[data[0] % FZ_N_DESCRIPTORS];
    ProtobufCMessage *m = hl_msg_unpack(d, data + 1, size - 1);
    if (!m) return 0;
    uint8_t *buf;
    size_t len;
    if (hl_msg_pack(m, &buf, &len) == 0) {
        ProtobufCMessage *m2 = hl_msg_unpack(d, buf, len);
        if (!m2) abort();
        if (protobuf_c_message_get_packed_size(m2) != len) abort();
        protobuf_c_message_free_unpacked(m2, NULL);
        free(buf);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
