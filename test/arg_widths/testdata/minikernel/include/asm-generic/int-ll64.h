typedef __u32 u32;
typedef __u64 u64;
