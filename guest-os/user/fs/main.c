/*
 * Flat file system server on the block driver.
 * Layout (4 KiB blocks = 8 sectors): block 0 superblock, block 1 directory
 * (64 entries), file i owns the fixed extent of PER_FILE blocks starting at
 * 2 + i * PER_FILE. No caching: every operation goes to the block driver,
 * through a block buffer at SHM_VA that the driver also sees.
 * If the driver is restarted while a request is in flight, that request
 * fails; the FS then reconnects (hands the buffer over again) and replays
 * the request. Requests queued on the driver's endpoint are not lost: the
 * endpoint outlives the driver restart.
 * How the buffer is shared and how requests travel (to the driver and from
 * clients) is the variant's transport, see transport.h.
 */
#include "ulib.h"
#include "transport.h"

#define BS 4096
#define SPB (BS / 512)
#define PER_FILE 16
#define MAX_FILES 64
#define FS_MAGIC 0x31534674696a6b6dUL

struct dirent { char name[16]; u64 size, used, pad[3]; };
struct super { u64 magic, nblocks, per_file, nfiles; };

static struct dirent dir[MAX_FILES];
static u64 nblocks, nfiles, retries, reconnects;
static mk_cptr_t blk_ep;
static struct blk_buf blk_buf;        /* the block buffer, see transport.h */
static bool connected;
static u8 *const buf = (u8 *)MK_SHM_VA;

static mk_word_t connect(void)
{
    struct mk_msg m;
    blk_connect_msg(&m, &blk_buf);
    mk_word_t e = blk_call(blk_ep, &m, &blk_buf);
    if (!e) e = MK_MSGINFO_LABEL(m.info);
    if (!e) { connected = true; nblocks = m.mr[0] / SPB; reconnects++; }
    return e;
}

static mk_word_t blk_io(mk_word_t label, u64 block)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        mk_word_t e = connected ? MK_ERR_OK : connect();
        if (e == MK_ERR_OK) {
            struct mk_msg m;
            m.info = MK_MSGINFO_MAKE(3, 0, label);
            m.mr[0] = block * SPB;
            m.mr[1] = SPB;
            m.mr[2] = 0;
            e = blk_call(blk_ep, &m, &blk_buf);
            if (!e) e = MK_MSGINFO_LABEL(m.info);
        }
        if (!blk_call_lost(e)) return e;
        retries++;            /* the driver restarted under us: replay */
        connected = false;
    }
    return MK_ERR_IO;
}

static mk_word_t write_dir(void)
{
    memcpy(buf, dir, sizeof(dir));
    return blk_io(MK_BLK_WRITE, 1);
}

static mk_word_t format(void)
{
    memset(dir, 0, sizeof(dir));
    nfiles = (nblocks - 2) / PER_FILE;
    if (nfiles > MAX_FILES) nfiles = MAX_FILES;
    struct super sb = { FS_MAGIC, nblocks, PER_FILE, nfiles };
    memset(buf, 0, BS);
    memcpy(buf, &sb, sizeof(sb));
    mk_word_t e = blk_io(MK_BLK_WRITE, 0);
    return e ? e : write_dir();
}

static mk_word_t mount(void)
{
    mk_word_t e = blk_io(MK_BLK_READ, 0);
    if (e) return e;
    struct super sb;
    memcpy(&sb, buf, sizeof(sb));
    if (sb.magic != FS_MAGIC || sb.nblocks != nblocks || sb.per_file != PER_FILE) return format();
    nfiles = sb.nfiles;
    e = blk_io(MK_BLK_READ, 1);
    if (!e) memcpy(dir, buf, sizeof(dir));
    return e;
}

static int find(mk_word_t n0, mk_word_t n1)
{
    for (u64 i = 0; i < nfiles; i++) {
        u64 w[2];
        memcpy(w, dir[i].name, 16);
        if (dir[i].used && w[0] == n0 && w[1] == n1) return (int)i;
    }
    return -1;
}

static u8 data[MSG_BYTES_MAX];

/* read or write [off, off+len) of file h, through whole-block I/O */
static mk_word_t file_io(u64 h, u64 off, u64 len, bool wr)
{
    u64 base = 2 + h * PER_FILE, done = 0;
    while (done < len) {
        u64 pos = off + done, blk = pos / BS, boff = pos % BS;
        u64 n = BS - boff < len - done ? BS - boff : len - done;
        mk_word_t e = MK_ERR_OK;
        if (!wr || n != BS) e = blk_io(MK_BLK_READ, base + blk);
        if (e) return e;
        if (wr) {
            memcpy(buf + boff, data + done, n);
            e = blk_io(MK_BLK_WRITE, base + blk);
            if (e) return e;
        } else {
            memcpy(data + done, buf + boff, n);
        }
        done += n;
    }
    return MK_ERR_OK;
}

/* one client request in m, answered in place */
static mk_word_t fs_handle(struct mk_msg *m)
{
    mk_word_t label = MK_MSGINFO_LABEL(m->info), nout = 0;
    u64 max = PER_FILE * BS;
    mk_word_t e = MK_ERR_OK;
    switch (label) {
    case MK_FS_OPEN: {
        int i = find(m->mr[0], m->mr[1]);
        if (i < 0 && m->mr[2]) {
            for (u64 k = 0; k < nfiles; k++) if (!dir[k].used) { i = (int)k; break; }
            if (i < 0) { e = MK_ERR_NO_SPACE; break; }
            memset(&dir[i], 0, sizeof(dir[i]));
            memcpy(dir[i].name, m->mr, 16);
            dir[i].used = 1;
            e = write_dir();
        } else if (i < 0) {
            e = MK_ERR_NOT_FOUND;
        }
        if (!e) { m->mr[0] = (mk_word_t)i; m->mr[1] = dir[i].size; nout = 2; }
        break;
    }
    case MK_FS_READ: {
        u64 h = m->mr[0], off = m->mr[1], len = m->mr[2];
        if (h >= nfiles || !dir[h].used) { e = MK_ERR_INVALID_ARG; break; }
        if (off > dir[h].size) off = dir[h].size;
        if (len > dir[h].size - off) len = dir[h].size - off;
        if (len > sizeof(data) - 8) len = sizeof(data) - 8;
        e = file_io(h, off, len, false);
        if (!e) { m->mr[0] = len; msg_put_bytes(m, 1, data, len); nout = 1 + (len + 7) / 8; }
        break;
    }
    case MK_FS_WRITE: {
        u64 h = m->mr[0], off = m->mr[1], len = m->mr[2];
        if (h >= nfiles || !dir[h].used || len > sizeof(data) - 24 || 3 + (len + 7) / 8 > MK_MSGINFO_LEN(m->info)) {
            e = MK_ERR_INVALID_ARG;
            break;
        }
        if (off + len > max) { e = MK_ERR_NO_SPACE; break; }
        msg_get_bytes(m, 3, data, len);
        e = file_io(h, off, len, true);
        if (!e && off + len > dir[h].size) { dir[h].size = off + len; e = write_dir(); }
        if (!e) { m->mr[0] = len; nout = 1; }
        break;
    }
    case MK_FS_DELETE: {
        int i = find(m->mr[0], m->mr[1]);
        if (i < 0) e = MK_ERR_NOT_FOUND;
        else { dir[i].used = 0; dir[i].size = 0; e = write_dir(); }
        break;
    }
    case MK_FS_STATS: {
        u64 n = 0;
        for (u64 i = 0; i < nfiles; i++) n += dir[i].used ? 1 : 0;
        m->mr[0] = n;
        m->mr[1] = retries;
        m->mr[2] = reconnects;
        nout = 3;
        break;
    }
    case MK_FS_FORMAT:
        e = format();
        break;
    default:
        e = MK_ERR_ILLEGAL_OP;
    }
    m->info = MK_MSGINFO_MAKE(nout, 0, e);
    return MK_ERR_OK;
}

int main(struct mk_startup *su)
{
    (void)su;
    blk_ep = slot_alloc();
    mk_word_t e = ns_lookup("blk", blk_ep);
    if (!e) e = blk_buf_init(&blk_buf);
    if (!e) e = connect();
    if (!e) e = mount();
    if (e) { printf("fs: cannot start: %s\n", err_name(e)); return 1; }
    reconnects = 0;
    serve_init(fs_handle);
    ns_register("fs", MK_SLOT_ENDPOINT);
    task_ready();

    struct mk_msg m = { 0 };
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        serve_received(fs_handle, &m);
        mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
    }
}
