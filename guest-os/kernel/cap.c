/* Capability spaces: a flat array of slots per task, indexed by cptr. */
#include "kernel.h"

struct cap *cap_lookup(struct tcb *t, word_t cptr)
{
    struct cspace *cs = t->cspace;
    if (unlikely(!cs || cptr >= cs->nslots)) return NULL;
    return &cs->slots[cptr];
}

void *kalloc_pages(word_t n);

struct cspace *cspace_create(word_t bits)
{
    word_t n = 1UL << bits;
    word_t bytes = sizeof(struct cspace) + (n << CAP_SHIFT);
    struct cspace *cs = kalloc_pages(ROUND_UP(bytes, PAGE_SIZE) / PAGE_SIZE);
    if (!cs) return NULL;
    cs->nslots = n;
    return cs;
}
