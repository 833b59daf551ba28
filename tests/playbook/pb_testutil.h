/* pb_testutil.h — helpers for the playbook tests: a temp copy of a fixture folder in which
 * one file can be edited, so every loader error is provoked on an otherwise valid network. */
#ifndef PB_TESTUTIL_H
#define PB_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hazlink/plan.h"

/* Read a whole file; NULL on error. Caller frees. */
static inline char *pb_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = 0;
    fclose(f);
    return b;
}

static inline int pb_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
    fclose(f);
    return rc;
}

/* Copy every regular file of src into a new temp dir; returns the dir (static storage per
 * call site is not needed: caller frees). */
static inline char *pb_copy_dir(const char *src)
{
    char tmpl[] = "/tmp/hl-pbtest-XXXXXX";
    if (!mkdtemp(tmpl))
        return NULL;
    DIR *d = opendir(src);
    if (!d)
        return NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char from[1024], to[1024];
        snprintf(from, sizeof from, "%s/%s", src, e->d_name);
        snprintf(to, sizeof to, "%s/%s", tmpl, e->d_name);
        char *text = pb_read(from);
        if (text) {
            pb_write(to, text);
            free(text);
        }
    }
    closedir(d);
    return strdup(tmpl);
}

/* Replace the first occurrence of from with to in dir/file. 0 or -1 (not found). */
static inline int pb_edit(const char *dir, const char *file, const char *from, const char *to)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *text = pb_read(path);
    if (!text)
        return -1;
    char *at = strstr(text, from);
    if (!at) {
        free(text);
        return -1;
    }
    size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    if (!out) {
        free(text);
        return -1;
    }
    size_t pre = (size_t)(at - text);
    memcpy(out, text, pre);
    memcpy(out + pre, to, strlen(to));
    memcpy(out + pre + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
    int rc = pb_write(path, out);
    free(text);
    free(out);
    return rc;
}

/* Line (1-based) of the first occurrence of needle in dir/file; 0 if absent. */
static inline int pb_line_of(const char *dir, const char *file, const char *needle)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *text = pb_read(path);
    if (!text)
        return 0;
    char *at = strstr(text, needle);
    int line = 0;
    if (at) {
        line = 1;
        for (char *p = text; p < at; p++)
            line += *p == '\n';
    }
    free(text);
    return line;
}

static inline void pb_rm_dir(char *dir)
{
    if (!dir)
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

/* A loaded network and plan rules, as a cmocka group state. */
typedef struct pb_fx {
    hl_network *net;
    hl_plan_rules *rules;
} pb_fx;

static inline int pb_fx_load(void **state, const char *dir)
{
    pb_fx *f = calloc(1, sizeof *f);
    char err[512];
    if (!f || hl_network_load(dir, &f->net, err, sizeof err) ||
        hl_plan_rules_load(dir, f->net, &f->rules, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static inline int pb_fx_free(void **state)
{
    pb_fx *f = *state;
    hl_network_destroy(&f->net);
    hl_plan_rules_destroy(&f->rules);
    free(f);
    return 0;
}

#define PB_SMALL HL_TEST_DATA_DIR "/small"
#define PB_KUITUN HL_TEST_SOURCE_DIR "/playbooks/kuitun"

#endif
