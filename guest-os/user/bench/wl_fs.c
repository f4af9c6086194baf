/* File workload (application -> fs -> blk), driver restart, key-value workload. */
#include "bench.h"

static u8 buf[MSG_BYTES_MAX];

static void pattern(u8 *p, u64 n, u64 file, u64 off)
{
    for (u64 i = 0; i < n; i++) p[i] = (u8)((file * 131 + (off + i) * 7 + ((off + i) >> 8)) & 0xff);
}

static mk_word_t fs_open(mk_cptr_t fs, const char *name, bool create, u64 *h, u64 *size)
{
    mk_word_t w[4];
    name_pack(name, w);
    return mk_fs_open(fs, w[0], w[1], create, h, size);
}

static mk_word_t fs_write(mk_cptr_t fs, u64 h, u64 off, const u8 *p, u64 n)
{
    struct mk_msg m;
    m.info = MK_MSGINFO_MAKE(3 + (n + 7) / 8, 0, MK_FS_WRITE);
    m.mr[0] = h; m.mr[1] = off; m.mr[2] = n;
    msg_put_bytes(&m, 3, p, n);
    mk_word_t e = mk_sys_call(fs, &m);
    if (!e) e = MK_MSGINFO_LABEL(m.info);
    if (!e && m.mr[0] != n) e = MK_ERR_IO;
    return e;
}

static mk_word_t fs_read(mk_cptr_t fs, u64 h, u64 off, u8 *p, u64 n)
{
    struct mk_msg m;
    m.info = MK_MSGINFO_MAKE(3, 0, MK_FS_READ);
    m.mr[0] = h; m.mr[1] = off; m.mr[2] = n;
    mk_word_t e = mk_sys_call(fs, &m);
    if (!e) e = MK_MSGINFO_LABEL(m.info);
    if (!e && m.mr[0] != n) e = MK_ERR_IO;
    if (!e) msg_get_bytes(&m, 1, p, n);
    return e;
}

/* write then verify files; returns number of errors */
static unsigned write_files(mk_cptr_t fs, const char *prefix, u64 first, u64 nfiles, u64 size, int sw)
{
    unsigned errors = 0;
    char name[32];
    for (u64 f = first; f < first + nfiles; f++) {
        u64 h, sz;
        snprintf(name, sizeof(name), "%s%lu", prefix, f);
        if (fs_open(fs, name, true, &h, &sz)) { errors++; continue; }
        for (u64 off = 0; off < size; off += P.chunk) {
            u64 n = size - off < P.chunk ? size - off : P.chunk;
            pattern(buf, n, f, off);
            u64 t0 = counter();
            if (fs_write(fs, h, off, buf, n)) errors++;
            u64 t1 = counter();
            if (sw >= 0) series_add(sw, sub_ovh(t1, t0));
        }
    }
    return errors;
}

static unsigned verify_files(mk_cptr_t fs, const char *prefix, u64 first, u64 nfiles, u64 size, int sr)
{
    static u8 expect[MSG_BYTES_MAX];
    unsigned errors = 0;
    char name[32];
    for (u64 f = first; f < first + nfiles; f++) {
        u64 h, sz;
        snprintf(name, sizeof(name), "%s%lu", prefix, f);
        if (fs_open(fs, name, false, &h, &sz) || sz != size) { errors++; continue; }
        for (u64 off = 0; off < size; off += P.chunk) {
            u64 n = size - off < P.chunk ? size - off : P.chunk;
            u64 t0 = counter();
            mk_word_t e = fs_read(fs, h, off, buf, n);
            u64 t1 = counter();
            pattern(expect, n, f, off);
            if (e || memcmp(buf, expect, n)) errors++;
            if (sr >= 0) series_add(sr, sub_ovh(t1, t0));
        }
    }
    return errors;
}

void wl_file(void)
{
    mk_cptr_t fs = lookup("fs");
    bool ok = fs && !mk_fs_format(fs);
    check("file.setup", ok);
    if (!ok) return;
    char name[48];
    snprintf(name, sizeof(name), "file_write_%lu", P.chunk);
    int sw = series_open(name);
    snprintf(name, sizeof(name), "file_read_%lu", P.chunk);
    int sr = series_open(name);
    u64 t0 = counter();
    unsigned we = write_files(fs, "file", 0, P.files, P.filesize, sw);
    u64 t1 = counter();
    unsigned re = verify_files(fs, "file", 0, P.files, P.filesize, sr);
    u64 t2 = counter();
    check("file.write", we == 0);
    check("file.read_verify", re == 0);
    u64 files = 0, retries = 0, reconnects = 0, h, sz;
    mk_fs_stats(fs, &files, &retries, &reconnects);
    check("file.count", files == P.files);
    mk_word_t w[4];
    name_pack("file0", w);
    check("file.delete", !mk_fs_delete(fs, w[0], w[1]) && fs_open(fs, "file0", false, &h, &sz) == MK_ERR_NOT_FOUND);
    u64 bytes = P.files * P.filesize;
    result("file", "file_total", "bytes", bytes, "bytes");
    result("file", "file_total", "write_elapsed", t1 - t0, counter_unit());
    result("file", "file_total", "read_elapsed", t2 - t1, counter_unit());
    if (t1 > t0) result("file", "file_total", "write_bytes_per_kcounter", bytes * 1000 / (t1 - t0), "bytes");
    if (t2 > t1) result("file", "file_total", "read_bytes_per_kcounter", bytes * 1000 / (t2 - t1), "bytes");
    series_report(sw, "file", counter_unit());
    series_report(sr, "file", counter_unit());
    slot_free(fs);
}

/*
 * Driver restart: arm the block driver to crash on its crash_after-th next
 * request, then run file I/O through it. The monitor restarts the driver;
 * the request in flight fails with ERR_RESTARTED and the file system
 * replays it; no data is lost.
 */
void wl_restart(void)
{
    mk_cptr_t fs = lookup("fs"), blk = lookup("blk"), mon = lookup("monitor");
    mk_word_t w[4], tid = 0, st = 0, faults = 0, r0 = 0, r1 = 0, f0 = 0, rt0 = 0, rc0 = 0, rt1 = 0, rc1 = 0;
    name_pack("blk", w);
    bool ok = fs && blk && mon && !mk_monitor_watch(mon, w[0], w[1], &tid) && !mk_monitor_query(mon, tid, &st, &faults, &r0);
    ok = ok && !mk_fs_stats(fs, &f0, &rt0, &rc0);
    check("restart.setup", ok);
    if (!ok) return;
    u64 size = P.filesize < 8192 ? P.filesize : 8192;
    unsigned errors = write_files(fs, "rst", 0, 1, size, -1);
    mk_blk_crash_after(blk, P.crash_after);
    errors += write_files(fs, "rst", 1, 2, size, -1);
    errors += verify_files(fs, "rst", 0, 3, size, -1);
    mk_monitor_query(mon, tid, &st, &faults, &r1);
    mk_fs_stats(fs, &f0, &rt1, &rc1);
    check("restart.data_intact", errors == 0);
    check("restart.driver_restarted_once", r1 == r0 + 1 && st == MK_TASK_RUNNING);
    check("restart.request_replayed", rt1 > rt0 && rc1 > rc0);
    result("restart", "blk", "restarts", r1 - r0, "count");
    result("restart", "fs", "replays", rt1 - rt0, "count");
    slot_free(fs); slot_free(blk); slot_free(mon);
}

/* ---- key-value ---- */
static u64 vlen_of(u64 k, u64 ver) { return 8 + ((k * 2654435761UL + ver * 40503UL) % 121); }

static void kv_value(u8 *p, u64 k, u64 ver, u64 n)
{
    for (u64 i = 0; i < n; i++) p[i] = (u8)(k * 31 + ver * 17 + i);
}

void wl_kv(void)
{
    static u64 version[4096];
    mk_cptr_t kv = lookup("kv");
    check("kv.setup", kv != 0);
    if (!kv) return;
    u64 nkeys = P.kv_keys > 4096 ? 4096 : P.kv_keys, seed = 42, puts = 0, gets = 0, misses = 0, distinct = 0;
    unsigned errors = 0;
    int sg = series_open("kv_get"), sp = series_open("kv_put");
    u8 val[256], got[256];
    char key[32];
    memset(version, 0, sizeof(version));
    u64 count0 = 0;
    mk_kv_count(kv, &count0);
#ifdef CODESIGN
    /* Xcap: a read-only capability to the store; GET then returns where the
     * value is (GETV) and we read it with capability loads */
    mk_word_t view = 0, get_label = MK_KV_GET;
    if ((cs_ext_present() & MK_CS_EXT_XCAP) && !mk_kv_view(kv, &view) && view) get_label = MK_KV_GETV;
#define KV_GET_LABEL get_label
#define KV_GET_VALUE(m, p, n) (view ? cs_cap_read(view, (m)->mr[1], (p), (n)) : msg_get_bytes((m), 1, (p), (n)))
#else
#define KV_GET_LABEL MK_KV_GET
#define KV_GET_VALUE(m, p, n) msg_get_bytes((m), 1, (p), (n))
#endif
    for (u64 op = 0; op < P.kv_ops; op++) {
        u64 r = xorshift64(&seed), k = r % nkeys;
        bool is_get = (r >> 32) % 100 < P.get_pct;
        u64 klen = (u64)snprintf(key, sizeof(key), "key-%lu", k);
        struct mk_msg m;
        if (is_get) {
            m.info = MK_MSGINFO_MAKE(1 + (klen + 7) / 8, 0, KV_GET_LABEL);
            m.mr[0] = klen;
            msg_put_bytes(&m, 1, key, klen);
            u64 t0 = counter();
            mk_word_t e = mk_sys_call(kv, &m);
            u64 t1 = counter();
            if (!e) e = MK_MSGINFO_LABEL(m.info);
            series_add(sg, sub_ovh(t1, t0));
            gets++;
            if (version[k] == 0) {
                if (e != MK_ERR_NOT_FOUND) errors++;
                misses++;
            } else {
                u64 n = vlen_of(k, version[k]);
                kv_value(val, k, version[k], n);
                if (e || m.mr[0] != n) { errors++; continue; }
                KV_GET_VALUE(&m, got, n);
                if (memcmp(got, val, n)) errors++;
            }
        } else {
            u64 ver = version[k] + 1, n = vlen_of(k, ver);
            kv_value(val, k, ver, n);
            m.info = MK_MSGINFO_MAKE(6 + (n + 7) / 8, 0, MK_KV_PUT);
            m.mr[0] = klen;
            m.mr[1] = n;
            msg_put_bytes(&m, 2, key, klen);
            for (unsigned i = (unsigned)(2 + (klen + 7) / 8); i < 6; i++) msg_set(&m, i, 0);
            msg_put_bytes(&m, 6, val, n);
            u64 t0 = counter();
            mk_word_t e = mk_sys_call(kv, &m);
            u64 t1 = counter();
            if (!e) e = MK_MSGINFO_LABEL(m.info);
            series_add(sp, sub_ovh(t1, t0));
            puts++;
            if (e) errors++;
            if (version[k] == 0) distinct++;
            version[k] = ver;
        }
    }
    u64 count1 = 0;
    mk_kv_count(kv, &count1);
    check("kv.values_correct", errors == 0);
    check("kv.count", count1 - count0 == distinct || (count0 && count1 <= nkeys));
    result("kv", "kv_ops", "gets", gets, "count");
    result("kv", "kv_ops", "puts", puts, "count");
    result("kv", "kv_ops", "misses", misses, "count");
    series_report(sg, "kv", counter_unit());
    series_report(sp, "kv", counter_unit());
    slot_free(kv);
}
