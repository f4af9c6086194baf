/* The boot image archive (llvm-ar, GNU format) of user ELFs, linked in. */
    .section .archive, "a"
    .align 12
    .globl __archive_start
    .globl __archive_end
__archive_start:
    .incbin ARCHIVE_PATH
__archive_end:
    .align 12
