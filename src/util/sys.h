/* SPDX-License-Identifier: MIT */
/* Small system helpers every layer above proto shares. */
#ifndef UTIL_SYS_H
#define UTIL_SYS_H

#include <stddef.h>
#include <stdint.h>

uint64_t util_wall_ms(void);
int util_mkdir_p(const char *, char *, size_t);
int util_fsync(int);
int util_give_to_dir_owner(const char *, const char *);

#endif
