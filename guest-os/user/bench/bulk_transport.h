/*
 * Bulk workload: variant interface for how the runner's buffer at MK_SHM_VA
 * reaches the sink in the "map" series. wl_bulk.c holds the workload; the
 * implementation, stock/bulk_transport_impl.h or
 * codesign/bulk_transport_impl.h, comes from the variant's include directory.
 */
#ifndef BULK_TRANSPORT_H
#define BULK_TRANSPORT_H
#include "bench.h"

#define BULK_INLINE static inline __attribute__((always_inline))

/* the buffer, npages pages at MK_SHM_VA; returns a handle, 0 on failure */
BULK_INLINE mk_word_t bulk_buf_alloc(unsigned npages);
/* give the sink (endpoint sink) access to the buffer; false on failure */
BULK_INLINE bool bulk_buf_share(mk_word_t buf, mk_cptr_t sink, unsigned npages);
/* SINK_MAP: the sink checksums the first size bytes (np pages) of the buffer */
BULK_INLINE mk_word_t bulk_sink_map(mk_cptr_t sink, mk_word_t buf, u64 size, u64 np, u64 *sum);
/* done with the buffer's npages pages */
BULK_INLINE void bulk_buf_release(unsigned npages);

#include "bulk_transport_impl.h"
#endif
