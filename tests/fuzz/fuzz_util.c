/* fuzz_util.c — see fuzz_util.h. */
#include "fuzz_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hazlink/hl_log.h"

static char g_dir[64];

static void remove_tree(void)
{
    if (!g_dir[0]) return;
    DIR *d = opendir(g_dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(g_dir);
}

const char *fz_tmpdir(void)
{
    if (!g_dir[0]) {
        snprintf(g_dir, sizeof g_dir, "/tmp/hl-fuzz-XXXXXX");
        if (!mkdtemp(g_dir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(remove_tree);
    }
    return g_dir;
}

void fz_write(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            perror(path);
            abort();
        }
        off += (size_t)w;
    }
    close(fd);
}

void fz_copy_files(const char *from, const char *to)
{
    DIR *d = opendir(from);
    if (!d) {
        perror(from);
        abort();
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        char src[1024], dst[1024];
        snprintf(src, sizeof src, "%s/%s", from, e->d_name);
        snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
        struct stat st;
        if (e->d_name[0] == '.' || stat(src, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        FILE *f = fopen(src, "rb");
        if (!f) {
            perror(src);
            abort();
        }
        uint8_t *buf = malloc((size_t)st.st_size + 1);
        if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) abort();
        fclose(f);
        fz_write(dst, buf, (size_t)st.st_size);
        free(buf);
    }
    closedir(d);
}

void fz_quiet(void)
{
    unsetenv("HAZLINK_LOG");
    hl_log_init("fuzz", HL_LOG_ERROR);
}
