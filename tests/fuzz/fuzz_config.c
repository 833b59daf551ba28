/* Fuzz target: the configuration loader (hl_config_load_mem: the same path as a file given
 * with --config, without the environment), then the endpoints and paths built from it. */
#include <stdlib.h>

#include "fuzz_util.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fz_quiet();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hl_config c;
    char err[512];
    if (hl_config_load_mem("fuzz-config.yaml", data, size, &c, err, sizeof err) < 0) return 0;
    if (c.base_port < 1024 || c.base_port > 65000) abort();
    char buf[256];
    static const char *const kinds[] = {"req", "pub", "gw"};
    for (int s = 0; s < 5; s++)
        for (int k = 0; k < 3; k++)
            hl_config_endpoint(&c, hl_service_names[s], kinds[k], buf, sizeof buf);
    hl_config_path(&c, "dispatch", buf, sizeof buf);
    return 0;
}
