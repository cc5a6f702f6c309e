#ifndef TOY_POSIX_TYPES_H
#define TOY_POSIX_TYPES_H
/* the arch overrides one generic type */
typedef unsigned short __kernel_old_uid_t;
#define __kernel_old_uid_t __kernel_old_uid_t
#include <asm-generic/posix_types.h>
#endif
