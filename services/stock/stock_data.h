/* stock_data.h — loaders for playbooks/<plan>/materials.yaml and depots.yaml.
 *
 * The only I/O here is reading the two files (through lib's hl_yaml.h). Every error is
 * written into err as "file:line: field: what" and every mapping refuses keys it does not
 * know (a misspelt "on_hnad" is an error, not a silently missing quantity). Nothing is
 * partially returned: on error the outputs are untouched / NULL.
 *
 * File formats: see the comments at the top of the two YAML files.
 */
#ifndef STOCK_DATA_H
#define STOCK_DATA_H

#include <stddef.h>
#include "hazlink/hl_yaml.h"
#include "reserve.h"

#define STOCK_UNIT_MAX 16 /* unit code "m2", "vehicle" */

typedef struct stock_material {
    char id[HL_ID_MAX + 1];
    char name[HL_NAME_MAX + 1];
    char unit[STOCK_UNIT_MAX + 1];    /* code carried in messages */
    char unit_cn[STOCK_UNIT_MAX + 1]; /* catalogue counting word, e.g. 吨 */
    char category[HL_NAME_MAX + 1];
    char catalogue[HL_NAME_MAX + 1]; /* "<category> / <material> / <unit>" of the catalogue row */
    int unverified;                  /* catalogue row marked [unverified] */
} stock_material;

typedef struct stock_catalogue {
    size_t n;
    stock_material items[STOCK_MATERIALS_MAX];
} stock_catalogue;

/* The material with id, or NULL. */
const stock_material *stock_catalogue_find(const stock_catalogue *c, const char *id);

/* Does unit name the material's unit? Empty unit counts as yes (the material's own unit). */
int stock_material_unit_ok(const stock_material *m, const char *unit);

/* Parse materials from a loaded document into *out.
 *  HL_EPARSE  wrong kind, missing or unknown key, bad id, duplicate id (err: file:line: field)
 *  HL_EINVAL  a value out of range; HL_ETOOBIG  a string or list over its limit */
int stock_materials_parse(const hl_yaml_doc *doc, stock_catalogue *out, char *err, size_t errlen);
/* Load path and parse it. Adds HL_EIO (cannot read: err names the path). */
int stock_materials_load(const char *path, stock_catalogue *out, char *err, size_t errlen);

/* Parse depots (material ids checked against cat) into a new stock_depots (*out, free()
 * by the caller). Levels start with reserved = issued = 0, available = on_hand and
 * quantity_assumed = 1 (every figure in depots.yaml is a hazlink assumption; the file says
 * so). Also read: as_of (the opening stock's effective time, ISO 8601 with offset), road
 * {detour_factor in [STOCK_DETOUR_MIN, STOCK_DETOUR_MAX], speed_kmh in [1,
 * STOCK_SPEED_MAX_KMH], note} (cover.h), each depot's dispatch_min (minutes, [0,
 * STOCK_DISPATCH_MAX_MIN]), each row's optional minimum (>= 0) and lots ({lot, quantity > 0,
 * expiry?}, adding up to on_hand; without lots the row is one lot "opening" with no expiry),
 * into out->lots.
 *  HL_EPARSE  as above, plus an unknown material id, a duplicate depot, material or lot, a
 *             jurisdiction other than corps/local/enterprise, a time without its offset,
 *             lots that do not add up to on_hand, as_of or road missing
 *  HL_EINVAL  a negative or too large on_hand or minimum, a coordinate, detour, speed or
 *             dispatch time out of range
 *  HL_ETOOBIG over STOCK_DEPOTS_MAX depots, STOCK_MATERIALS_MAX materials in a depot,
 *             STOCK_ROW_LOTS_MAX lots in a row or STOCK_SEED_LOTS_MAX lots in the file
 *  HL_ENOMEM */
int stock_depots_parse(const hl_yaml_doc *doc, const stock_catalogue *cat, stock_depots **out,
                       char *err, size_t errlen);
int stock_depots_load(const char *path, const stock_catalogue *cat, stock_depots **out, char *err,
                      size_t errlen);

#endif
