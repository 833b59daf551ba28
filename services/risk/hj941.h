/* hj941.h — enterprise environmental risk grading by HJ 941-2018 (企业突发环境事件风险分级方法).
 *
 * Pure: structs in, structs out; no I/O except hj941_tables_load (three files, through
 * refcsv.h), no clock, no sockets.
 *
 * The method, as hazlink applies it (every table is data in playbooks/reference, and most of
 * it is flagged unverified there: no public copy of the official text was found, see
 * playbooks/reference/README.md; the flags travel into every result below):
 *
 *   Q = Σ qᵢ / Qᵢ    over the enterprise's risk substances: qᵢ the maximum quantity present
 *                    (t; a mixture or dilution counts by its component fraction, HJ 941-2018
 *                    §7.1 "混合或稀释的风险物质按其组分比例折算成纯物质"), Qᵢ its critical
 *                    quantity in 附录A (hj941_2018_appendixA_risk_substances.csv). A substance
 *                    that appendix A does not list adds nothing.
 *   Q band           Q0 Q<1, Q1 1≤Q<10, Q2 10≤Q<100, Q3 Q≥100 (hj941_2018_q_m_bands.csv,
 *                    [unverified]); lower edges inclusive.
 *   M                process score (生产工艺过程评估, at most 30 points) + the medium's control
 *                    score (大气 or 水环境风险防控措施 and past incidents), both assessed
 *                    inputs; banded M1 M<25, M2 25≤M<45, M3 45≤M<60, M4 M≥60
 *                    (hj941_2018_q_m_bands.csv, [unverified]).
 *   E                E1 / E2 / E3 for air and for water (sensitivity of the receptors):
 *                    assessed inputs.
 *   level            per medium from the E/Q/M matrix (hj941_2018_risk_level_matrix.csv,
 *                    36 cells + the Q0 rule, all but one [unverified]); Q0 is 一般 whatever
 *                    M and E are. Written like "较大-水(Q2-M2-E1)", Q0 as "一般-水(Q0)".
 *   enterprise       the higher of the air and water levels (一般 < 较大 < 重大), written
 *                    "较大[较大-大气(Q2-M2-E3)+一般-水(Q1-M1-E3)]" (the form of filed labels;
 *                    the reference holds one such label).
 *
 * hazlink simplification (said in every result's note by the caller): one Q serves both
 * media; HJ 941 computes the air Q over the gas and volatile substances of appendix A and
 * the water Q over the water-relevant ones, a split the transcribed appendix does not carry.
 *
 * Band edges: a value within RISKREF_EDGE_REL (risk_ref.h, relative) below an edge counts as
 * on the edge, so that a sum of ratios such as 3 × (1/3) is Q1, not Q0 (floating-point sums).
 */
#ifndef RISK_HJ941_H
#define RISK_HJ941_H

#include <stddef.h>

#include "hazlink/hl_codec.h"
#include "refcsv.h"

#define HJ941_SUBST_MAX 512 /* appendix A rows */
#define HJ941_CELLS 36      /* E1-E3 × Q1-Q3 × M1-M4 */
#define HJ941_TERMS_MAX 32  /* substances of one enterprise */
#define HJ941_PROCESS_MAX 30 /* 生产工艺过程评估 points (HJ 941-2018 表1 caps the item at 30) */
#define HJ941_CONTROL_MAX 70 /* control score: M is at most 100 points */
#define HJ941_CAS_MAX 64
#define HJ941_FILE_MAX 512

/* File names under the reference directory. */
#define HJ941_FILE_SUBST "hj941_2018_appendixA_risk_substances.csv"
#define HJ941_FILE_MATRIX "hj941_2018_risk_level_matrix.csv"
#define HJ941_FILE_BANDS "hj941_2018_q_m_bands.csv"

enum { HJ941_AIR = 0, HJ941_WATER = 1, HJ941_MEDIA = 2 };
/* Levels in increasing order; 0 = not determined. */
enum { HJ941_LEVEL_NONE = 0, HJ941_GENERAL = 1, HJ941_LARGER = 2, HJ941_MAJOR = 3 };

typedef struct hj941_substance {
    char name[HL_NAME_MAX + 1];
    char cas[HJ941_CAS_MAX + 1];
    int listed;        /* has a critical quantity (a row may record that a substance is NOT one) */
    double critical_t; /* tonnes */
    int unverified;
    int line; /* in the appendix A file */
} hj941_substance;

typedef struct hj941_band {
    char name[4]; /* "Q0".."Q3", "M1".."M4" */
    int has_lower, has_upper;
    double lower, upper; /* lower inclusive, upper exclusive */
    int unverified;
    int line;
} hj941_band;

typedef struct hj941_cell {
    int level; /* HJ941_GENERAL.. */
    int unverified;
    int line;
} hj941_cell;

typedef struct hj941_tables {
    char file_subst[HJ941_FILE_MAX], file_matrix[HJ941_FILE_MAX], file_bands[HJ941_FILE_MAX];
    size_t nsubst;
    hj941_substance subst[HJ941_SUBST_MAX];
    hj941_band q_bands[4];     /* Q0..Q3 */
    hj941_band m_bands[4];     /* M1..M4 */
    hj941_cell q0;             /* the Q0 rule: any E, any M */
    hj941_cell cells[3][3][4]; /* [E-1][Q-1][M-1] */
} hj941_tables;

/* Build the tables from the three loaded files (refcsv.h). Errors "file:line: column: what":
 *  HL_EPARSE  a column missing; a verified other than yes/no; a band, level, E, Q or M name
 *             not known; bands not contiguous or not in order; a matrix cell missing or
 *             given twice; a Q0 row with E or M other than "any"; a critical quantity that is
 *             not a positive number
 *  HL_ETOOBIG more appendix A rows than HJ941_SUBST_MAX, a field longer than its slot
 *  HL_ENOMEM
 * *out is NULL on error; free with hj941_tables_destroy. */
int hj941_tables_from_csv(const refcsv *subst, const refcsv *matrix, const refcsv *bands,
                          hj941_tables **out, char *err, size_t errlen);
/* Load dir/HJ941_FILE_* and build. Adds HL_EIO (a file cannot be read; err names it). */
int hj941_tables_load(const char *dir, hj941_tables **out, char *err, size_t errlen);
/* Accepts NULL and *t == NULL; clears *t. */
void hj941_tables_destroy(hj941_tables **t);

/* Index of the appendix A row whose name is exactly name; HL_ENOTFOUND. */
int hj941_substance_find(const hj941_tables *t, const char *name);
/* How many rows carry this CAS number (exact); the first is written to *first (when >0). */
size_t hj941_substance_find_cas(const hj941_tables *t, const char *cas, size_t *first);

/* Band of a value: Q band 0..3 (Q0..Q3), M band 1..4 (M1..M4). HL_EINVAL for a value that
 * is negative or not finite. *row is the band row (for its name, flag and line). */
int hj941_q_band(const hj941_tables *t, double q, const hj941_band **row);
int hj941_m_band(const hj941_tables *t, double m, const hj941_band **row);

/* The matrix cell for E (1..3), Q band (0..3) and M band (1..4); Q band 0 gives the Q0
 * rule whatever e and m. HL_EINVAL for indices out of range. */
int hj941_matrix_cell(const hj941_tables *t, int e, int q_band, int m_band,
                      const hj941_cell **cell);

/* "一般", "较大", "重大", "" for HJ941_LEVEL_NONE; "大气", "水" for the media. */
const char *hj941_level_name(int level);
const char *hj941_medium_name(int medium);

/* One risk substance: row into t->subst (or -1 when appendix A does not list it: it is
 * carried for the record and adds nothing), q_t the quantity present in tonnes (already
 * converted from mixtures by component fraction). */
typedef struct hj941_term_in {
    int row;
    double q_t;
} hj941_term_in;

typedef struct hj941_input {
    size_t nterms;
    hj941_term_in terms[HJ941_TERMS_MAX];
    int assessed; /* M and E given for both media (else only a Q0 level can be determined) */
    double process_score;              /* [0, HJ941_PROCESS_MAX] */
    double control_score[HJ941_MEDIA]; /* [0, HJ941_CONTROL_MAX] */
    int e[HJ941_MEDIA];                /* 1..3 */
} hj941_input;

typedef struct hj941_term {
    int row; /* as given */
    double q_t;
    double critical_t; /* 0 when not listed */
    double ratio;      /* q_t / critical_t; 0 when not listed */
    int unverified;    /* the appendix A row is flagged */
} hj941_term;

typedef struct hj941_medium {
    int level;      /* HJ941_*; NONE when not determined (Q≥1 and not assessed) */
    double m;       /* process + control score (when assessed) */
    int m_band;     /* 1..4, 0 when not assessed */
    int e;          /* 1..3, 0 when not assessed */
    int cell_line;  /* matrix file line behind the level (0 when none) */
    int unverified; /* the level rests on an unverified row (cell, Q or M band, a term) */
    char label[64]; /* "较大-水(Q2-M2-E1)", "一般-大气(Q0)", "" */
} hj941_medium;

typedef struct hj941_result {
    size_t nterms;
    hj941_term terms[HJ941_TERMS_MAX];
    double q;
    int q_band;       /* 0..3 */
    int q_unverified; /* the Q band row or a counted term is flagged */
    hj941_medium med[HJ941_MEDIA];
    int level;       /* the higher of the two media; NONE unless both are determined */
    int unverified;  /* any value behind level is flagged */
    char label[160]; /* "较大[较大-大气(Q2-M2-E3)+一般-水(Q1-M1-E3)]" or "" */
} hj941_result;

/* Grade one enterprise.
 *  HL_EINVAL  a term's row out of range, a q_t negative or not finite, more than
 *             HJ941_TERMS_MAX terms; when assessed: a score outside its range or an e
 *             outside 1..3
 * out is fully written on success (and zeroed on error). */
int hj941_assess(const hj941_tables *t, const hj941_input *in, hj941_result *out);

#endif
