typedef __signed__ int __s32;
typedef unsigned int __u32;
typedef unsigned long long __u64;
