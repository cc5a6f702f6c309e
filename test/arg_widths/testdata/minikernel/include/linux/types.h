#ifndef LINUX_TYPES_H
#define LINUX_TYPES_H
typedef __kernel_pid_t pid_t;
typedef unsigned short umode_t;
typedef __kernel_size_t size_t;
typedef __kernel_loff_t loff_t;
typedef __kernel_old_uid_t old_uid_t;
#endif
