/* gb18218.h — major hazard sources of hazardous chemicals by GB 18218-2018
 * (危险化学品重大危险源辨识): identification (S) and grading (R).
 *
 * Pure: structs in, structs out; no I/O except gb18218_tables_load (three files, through
 * refcsv.h), no clock, no sockets.
 *
 * Data (playbooks/reference, see its README; row flags travel into every result):
 *   gb18218_2018_table1_critical_quantities.csv  表1: named substances, critical quantity (t)
 *   gb18218_2018_table2_table4_categories.csv    表2: critical quantity by hazard class
 *                                                (J1–J5, W1.1–W11) and 表4 β by class, as
 *                                                given by two sources (they disagree on J2)
 *   gb18218_2018_beta_alpha_R.csv                表3 β of named toxic gases, 表5 α by people
 *                                                outside the site within 500 m, 表6 grade by R
 *
 * Rules:
 *   critical quantity Q  §4.1.2: from 表1 when the substance is listed there; otherwise from
 *                        表2 by its hazard class, and when it has several classes the lowest
 *                        Q among them.
 *   S = Σ qᵢ / Qᵢ        §4.2.2 (式1): the unit is a major hazard source when S ≥ 1 (a single
 *                        substance: q ≥ Q, the same test). q in tonnes.
 *   β                    表3 when the substance is one of its named toxic gases, else 表4 by
 *                        hazard class. With several classes hazlink takes the highest β among
 *                        them (the standard names one class per substance; the most severe
 *                        correction is hazlink's reading, not a clause).
 *   disputed β           where the two 表4 sources disagree (J2: 1 or 2) R is computed with each
 *                        value: r with the higher, r_alt with the lower; the grade shown is the
 *                        one from r (the more severe) and the result says it depends on a
 *                        disputed value, with the grade the other value gives.
 *   α                    表5 by the number of people outside the site within 500 m (an input).
 *   R = α Σ βᵢ qᵢ / Qᵢ   §4.3 (式2), computed for a major hazard source only.
 *   grade                表6: 一级 R ≥ 100, 二级 50 ≤ R < 100, 三级 10 ≤ R < 50, 四级 R < 10
 *                        (bands as data; lower edges inclusive, 以上含本数).
 *
 * Edges (S ≥ 1, R bands, people bands): a value within RISKREF_EDGE_REL (risk_ref.h,
 * relative) below an edge counts as on it, so that floating-point sums such as 3 × (1/3)
 * reach 1.
 *
 * GB 18218 identifies units (生产单元 / 储存单元); a caller grading a whole site as one unit
 * says so.
 */
#ifndef RISK_GB18218_H
#define RISK_GB18218_H

#include <stddef.h>

#include "hazlink/hl_codec.h"
#include "refcsv.h"

#define GB18218_T1_MAX 256     /* 表1 rows */
#define GB18218_CLASSES_MAX 64 /* 表2/表4 rows */
#define GB18218_GASES_MAX 64   /* 表3 rows */
#define GB18218_ALPHA_MAX 16   /* 表5 rows */
#define GB18218_GRADES 4       /* 表6: 一级..四级 */
#define GB18218_TERMS_MAX 32   /* substances of one unit */
#define GB18218_TERM_CLASSES 8 /* hazard classes of one substance */
#define GB18218_SYMBOL_MAX 15  /* "W5.1" */
#define GB18218_CAS_MAX 96
#define GB18218_FILE_MAX 512

#define GB18218_FILE_T1 "gb18218_2018_table1_critical_quantities.csv"
#define GB18218_FILE_T24 "gb18218_2018_table2_table4_categories.csv"
#define GB18218_FILE_BAR "gb18218_2018_beta_alpha_R.csv"

typedef struct gb18218_t1 {
    int seq; /* 序号 */
    char name[HL_NAME_MAX + 1];
    char cas[GB18218_CAS_MAX + 1]; /* as transcribed: may list several, ";"-separated */
    double critical_t;
    int unverified;
    int line;
} gb18218_t1;

typedef struct gb18218_class {
    char symbol[GB18218_SYMBOL_MAX + 1];
    double critical_t; /* 表2 */
    double beta[2];    /* 表4 as given by source 1 and source 2 */
    int unverified;
    int line;
} gb18218_class;

typedef struct gb18218_gas {
    char name[HL_NAME_MAX + 1];
    char cas[GB18218_CAS_MAX + 1];
    double beta; /* 表3 */
    int unverified;
    int line;
} gb18218_gas;

typedef struct gb18218_band {
    char name[HL_NAME_MAX + 1]; /* 表5 item ("50~99人") or 表6 grade ("二级") */
    int has_lower, has_upper;
    double lower, upper; /* lower inclusive, upper exclusive */
    double value;        /* 表5 α; 表6 the grade number 1..4 */
    int unverified;
    int line;
} gb18218_band;

typedef struct gb18218_tables {
    char file_t1[GB18218_FILE_MAX], file_t24[GB18218_FILE_MAX], file_bar[GB18218_FILE_MAX];
    size_t nt1, nclasses, ngases, nalpha;
    gb18218_t1 t1[GB18218_T1_MAX];
    gb18218_class classes[GB18218_CLASSES_MAX];
    gb18218_gas gases[GB18218_GASES_MAX];
    gb18218_band alpha[GB18218_ALPHA_MAX]; /* by increasing people */
    gb18218_band grades[GB18218_GRADES];   /* [0] 一级 .. [3] 四级 */
} gb18218_tables;

/* Build from the three loaded files. Errors "file:line: column: what":
 *  HL_EPARSE  a column missing; verified not yes/no; a critical quantity, β or α not a
 *             positive number; a 序号 or hazard class given twice; a table name in the
 *             β/α/R file other than Table3/Table5/Table6; 表5 or 表6 bands not contiguous
 *             (表5 from 0 up, 表6 from 0 up, each ending open), a 表6 grade other than
 *             一级..四级 or not in descending order of R
 *  HL_ETOOBIG more rows than a limit above, a field longer than its slot
 *  HL_ENOMEM
 * *out is NULL on error; free with gb18218_tables_destroy. */
int gb18218_tables_from_csv(const refcsv *t1, const refcsv *t24, const refcsv *bar,
                            gb18218_tables **out, char *err, size_t errlen);
/* Load dir/GB18218_FILE_* and build. Adds HL_EIO. */
int gb18218_tables_load(const char *dir, gb18218_tables **out, char *err, size_t errlen);
void gb18218_tables_destroy(gb18218_tables **t);

/* Index of the 表1 row with this 序号; of the class with this symbol; of the 表3 gas whose
 * CAS equals cas (exact) or, when none, whose name equals name. HL_ENOTFOUND. */
int gb18218_t1_find(const gb18218_tables *t, int seq);
int gb18218_class_find(const gb18218_tables *t, const char *symbol);
int gb18218_gas_find(const gb18218_tables *t, const char *cas, const char *name);

/* Does the 表1 row list this CAS number (its cas field holds it as one of its entries)? */
int gb18218_t1_has_cas(const gb18218_tables *t, int t1, const char *cas);

/* α for a number of people (whole persons, >= 0); *row is the 表5 row. HL_EINVAL for a
 * negative or non-finite count. */
int gb18218_alpha(const gb18218_tables *t, double people, const gb18218_band **row);
/* Grade 1..4 (一级..四级) of R >= 0; *row is the 表6 row. HL_EINVAL. */
int gb18218_grade(const gb18218_tables *t, double r, const gb18218_band **row);

/* One substance (or a mixture counted as one, see risk_data.h) of the unit.
 * t1: its 表1 row index or -1; gas: its 表3 row index or -1; classes: 表2/表4 row indices.
 * A term needs t1 or a class (for Q) and gas or a class (for β). */
typedef struct gb18218_term_in {
    double q_t;
    int t1;
    int gas;
    size_t nclasses;
    int classes[GB18218_TERM_CLASSES];
} gb18218_term_in;

typedef struct gb18218_input {
    size_t nterms;
    gb18218_term_in terms[GB18218_TERMS_MAX];
    int has_people; /* else α, R and the grade are not computed */
    double people;  /* outside the site within 500 m */
} gb18218_input;

typedef struct gb18218_term {
    double q_t, critical_t, ratio;
    int q_t1;          /* 表1 row the Q came from, or -1 */
    int q_class;       /* else the 表2 row (the lowest Q among the classes) */
    int q_unverified;  /* that row is flagged */
    double beta;       /* the higher reading */
    double beta_alt;   /* the lower reading (== beta unless disputed) */
    int beta_gas;      /* 表3 row, or -1 */
    int beta_class;    /* else the 表4 row giving beta */
    int beta_disputed; /* beta != beta_alt: the sources disagree on a value that counts */
    int beta_unverified;
} gb18218_term;

typedef struct gb18218_result {
    size_t nterms;
    gb18218_term terms[GB18218_TERMS_MAX];
    double s;
    int major;  /* S ≥ 1 */
    int graded; /* major and people given: alpha, r and grade are set */
    double alpha;
    const gb18218_band *alpha_row;
    double r, r_alt;      /* with the higher and the lower disputed β */
    int grade, grade_alt; /* 1..4 */
    const gb18218_band *grade_row;
    int depends_on_disputed; /* a term's β is disputed */
    int unverified;          /* a row behind S, R or the grade is flagged */
} gb18218_result;

/* Identify and grade one unit. Pointers in *out point into t.
 *  HL_EINVAL  more than GB18218_TERMS_MAX terms or GB18218_TERM_CLASSES classes, a row index
 *             out of range, a term with no source for Q or for β, q_t or people negative or
 *             not finite */
int gb18218_assess(const gb18218_tables *t, const gb18218_input *in, gb18218_result *out);

/* "一级".."四级" for 1..4, "" otherwise. */
const char *gb18218_grade_name(int grade);

#endif
