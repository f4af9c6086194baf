#ifndef TYPES_H
#define TYPES_H
typedef unsigned long word_t;
typedef long sword_t;
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef unsigned long size_t;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define NORETURN __attribute__((noreturn))
#define UNUSED __attribute__((unused))
#define PAGE_SIZE 4096UL
#define PAGE_SHIFT 12
#define ROUND_UP(x, a) (((x) + (a) - 1) & ~((word_t)(a) - 1))
#define ROUND_DOWN(x, a) ((x) & ~((word_t)(a) - 1))
#endif
