/* risk_data.h — loader for playbooks/<plan>/risk_sources.yaml (format: see that file).
 *
 * Errors are "file:line: field: what"; unknown keys are refused. A source naming a substance
 * that is not in the file's substance table is an error (its critical quantities would be
 * unknown, and a critical quantity must never be invented).
 */
#ifndef RISK_DATA_H
#define RISK_DATA_H

#include <stddef.h>
#include "hazlink/hl_yaml.h"
#include "upstream.h"

/* Parse a loaded document into a new register (*out; free() by the caller).
 *  HL_EPARSE  wrong kind, missing or unknown key, bad or duplicate id, unknown substance,
 *             kind other than enterprise/chemical_park, jurisdiction other than corps/local,
 *             a source with neither location nor location_note
 *  HL_EINVAL  a number out of range (negative quantity, chainage outside
 *             [0, RISK_CHAINAGE_MAX], coordinates)
 *  HL_ETOOBIG a list or string over its limit
 *  HL_ENOMEM */
int risk_sources_parse(const hl_yaml_doc *doc, risk_register **out, char *err, size_t errlen);
/* Load path and parse it. Adds HL_EIO (cannot read: err names the path). */
int risk_sources_load(const char *path, risk_register **out, char *err, size_t errlen);

#endif
