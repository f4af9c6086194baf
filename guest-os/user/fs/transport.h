/*
 * fs: variant interface for its transports - to the block driver (the block
 * buffer at MK_SHM_VA, which the driver reads and writes, and the calls that
 * hand it over) and from its clients (how their requests reach fs_handle()).
 * main.c holds the file system; the implementation, stock/transport_impl.h
 * or codesign/transport_impl.h, comes from the variant's include directory.
 */
#ifndef FS_TRANSPORT_H
#define FS_TRANSPORT_H
#include "ulib.h"

#define FS_INLINE static inline __attribute__((always_inline))
typedef mk_word_t (*fs_handler)(struct mk_msg *m);
struct blk_buf;   /* what the transport keeps about the block buffer */

/* set up the block buffer, one page at MK_SHM_VA; returns an error */
FS_INLINE mk_word_t blk_buf_init(struct blk_buf *b);
/* m = CONNECT, handing the buffer over to the driver */
FS_INLINE void blk_connect_msg(struct mk_msg *m, struct blk_buf *b);
/* Call the driver on ep with the buffer in its reach */
FS_INLINE mk_word_t blk_call(mk_cptr_t ep, struct mk_msg *m, struct blk_buf *b);
/* did the driver lose the call (restarted, faulted)? then reconnect and replay */
FS_INLINE bool blk_call_lost(mk_word_t e);
/* take client requests into handle (they come once fs is registered) */
FS_INLINE void serve_init(fs_handler handle);
/* answer m, a request received on the own endpoint (Recv/ReplyRecv) */
FS_INLINE void serve_received(fs_handler handle, struct mk_msg *m);

#include "transport_impl.h"
#endif
