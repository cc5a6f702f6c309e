typedef u32 compat_ulong_t;
#ifdef __BIG_ENDIAN
#define compat_arg_u64_dual(name) u32, name##_hi, u32, name##_lo
#else
#define compat_arg_u64_dual(name) u32, name##_lo, u32, name##_hi
#endif
