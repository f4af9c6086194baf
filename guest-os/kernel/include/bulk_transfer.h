/* Internal interface: bulk word copies (IPC buffers, page zeroing/copying). */
#ifndef BULK_TRANSFER_H
#define BULK_TRANSFER_H
#include "kernel.h"
void bulk_copy_words(word_t *dst, const word_t *src, word_t nwords);
void bulk_zero_page(void *page);
#endif
