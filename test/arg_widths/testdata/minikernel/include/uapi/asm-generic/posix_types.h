#ifndef GENERIC_POSIX_TYPES_H
#define GENERIC_POSIX_TYPES_H
#ifndef __kernel_long_t
typedef long __kernel_long_t;
typedef unsigned long __kernel_ulong_t;
#endif
#ifndef __kernel_pid_t
typedef int __kernel_pid_t;
#endif
#ifndef __kernel_old_uid_t
typedef unsigned int __kernel_old_uid_t;
#endif
#ifndef __kernel_size_t
#if __BITS_PER_LONG != 64
typedef unsigned int __kernel_size_t;
#else
typedef __kernel_ulong_t __kernel_size_t;
#endif
#endif
typedef long long __kernel_loff_t;
#endif
