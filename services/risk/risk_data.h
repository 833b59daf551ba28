/* risk_data.h — loader for playbooks/<plan>/risk_sources.yaml (format: see that file).
 *
 * Errors are "file:line: field: what"; unknown keys are refused. A source naming a substance
 * that is not in the file's substance table is an error (its critical quantities would be
 * unknown, and a critical quantity must never be invented).
 *
 * What a source holds is one substance ({name, max_quantity_t} or {name, max_quantity, unit})
 * or a mixture ({mixture, max_quantity(_t), unit, components: [{name, fraction}], gb18218:
 * {as: <component>} | {classes: [...]}}); quantities are kept in tonnes (kg converted). The
 * sources' hj941 and gb18218 inputs and the substances' gb18218 classes and hj941 row names
 * are parsed here and checked against the reference tables by risk_grade_bind
 * (risk_grade.h).
 */
#ifndef RISK_DATA_H
#define RISK_DATA_H

#include <stddef.h>
#include "hazlink/hl_yaml.h"
#include "upstream.h"

/* Parse a loaded document into a new register (*out; free() by the caller).
 *  HL_EPARSE  wrong kind, missing or unknown key, bad or duplicate id, unknown substance,
 *             kind other than enterprise/chemical_park, jurisdiction other than corps/local,
 *             a source with neither location nor location_note, a holding with both or
 *             neither of name and mixture (or of max_quantity_t and max_quantity), a mixture
 *             without its gb18218 rule or whose "as" is not one of its components, an E
 *             other than E1..E3, a substance gb18218 entry with neither row nor classes
 *  HL_EINVAL  a number out of range (negative quantity, chainage outside
 *             [0, RISK_CHAINAGE_MAX], coordinates, a fraction outside (0, 1] or fractions
 *             adding up to more than 1, a score outside its range (hj941.h), people < 0)
 *  HL_EUNIT   a quantity unit other than kg or t (err names the unit field)
 *  HL_ETOOBIG a list or string over its limit
 *  HL_ENOMEM */
int risk_sources_parse(const hl_yaml_doc *doc, risk_register **out, char *err, size_t errlen);
/* Load path and parse it. Adds HL_EIO (cannot read: err names the path). */
int risk_sources_load(const char *path, risk_register **out, char *err, size_t errlen);

#endif
