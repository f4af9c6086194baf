/*
 * Block device driver for a RAM disk (512-byte sectors). The RAM disk frames
 * are mapped by the root task at RAMDISK_VA and play the role of device
 * memory: they survive a restart of this driver. Data moves through a
 * page shared with the client (granted in CONNECT, mapped at SHM_VA).
 * A virtio-blk driver will replace this once the emulator has virtio-mmio.
 * CRASH_AFTER(n) makes the driver fault on its n-th following request
 * (before doing it) - used to test restarts by the monitor.
 */
#include "ulib.h"

#define SECTOR 512
static u64 sectors, reads, writes, crash_countdown;
static bool connected;

int main(struct mk_startup *su)
{
    sectors = su->arg0;
    mk_cptr_t recv = slot_alloc();
    ns_register("blk", MK_SLOT_ENDPOINT);
    task_ready();
    u8 *disk = (u8 *)MK_RAMDISK_VA, *buf = (u8 *)MK_SHM_VA;
    struct mk_msg m = { 0 };
    set_recv_slot(recv);
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        mk_word_t label = MK_MSGINFO_LABEL(m.info), e = MK_ERR_OK, nout = 0;
        if ((label == MK_BLK_READ || label == MK_BLK_WRITE) && crash_countdown && --crash_countdown == 0)
            *(volatile u64 *)0 = 0xdead; /* injected driver bug */
        switch (label) {
        case MK_BLK_CONNECT:
            if (MK_MSGINFO_CAPS(m.info) != 1) { e = MK_ERR_INVALID_CAP; break; }
            e = mk_vspace_map(MK_SLOT_VSPACE, recv, MK_SHM_VA, MK_RIGHT_READ | MK_RIGHT_WRITE);
            connected = e == MK_ERR_OK;
            m.mr[0] = sectors;
            nout = 1;
            break;
        case MK_BLK_READ:
        case MK_BLK_WRITE: {
            mk_word_t sec = m.mr[0], cnt = m.mr[1], off = m.mr[2];
            if (!connected) e = MK_ERR_ILLEGAL_OP;
            else if (sec >= sectors || cnt > sectors - sec || off > MK_PAGE_SIZE || cnt * SECTOR > MK_PAGE_SIZE - off)
                e = MK_ERR_RANGE;
            else if (label == MK_BLK_READ) { memcpy(buf + off, disk + sec * SECTOR, cnt * SECTOR); reads++; }
            else { memcpy(disk + sec * SECTOR, buf + off, cnt * SECTOR); writes++; }
            break;
        }
        case MK_BLK_CRASH_AFTER:
            crash_countdown = m.mr[0];
            break;
        case MK_BLK_STATS:
            m.mr[0] = reads;
            m.mr[1] = writes;
            nout = 2;
            break;
        default:
            e = MK_ERR_ILLEGAL_OP;
        }
        m.info = MK_MSGINFO_MAKE(nout, 0, e);
        set_recv_slot(recv);
        mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
    }
}
