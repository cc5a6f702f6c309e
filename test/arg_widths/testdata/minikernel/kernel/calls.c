SYSCALL_DEFINE3(read, unsigned int, fd, char __user *, buf, size_t, count)
{
	return 0;
}

SYSCALL_DEFINE3(open, const char __user *, filename, int, flags, umode_t, mode)
{
	return 0;
}

SYSCALL_DEFINE4(pread64, unsigned int, fd, char __user *, buf, size_t, count, loff_t, pos)
{
	return 0;
}

COMPAT_SYSCALL_DEFINE6(pread64, unsigned int, fd, char __user *, buf,
		       compat_ulong_t, count, u32, pad, compat_arg_u64_dual(pos))
{
	return 0;
}

#ifdef CONFIG_CLONE_BACKWARDS
SYSCALL_DEFINE2(clone, unsigned long, clone_flags, unsigned long, tls)
{
	return 0;
}
#else
SYSCALL_DEFINE2(clone, unsigned long, tls, unsigned long, clone_flags)
{
	return 0;
}
#endif

#ifdef __ARCH_WANT_SYS_ALARM
SYSCALL_DEFINE1(alarm, unsigned int, seconds)
{
	return 0;
}
#endif

SYSCALL_DEFINE1(personality, unsigned long, persona)
{
	return ksys_personality(persona);
}

/* 64-bit mask on 64-bit kernels; split halves for compat tasks. */
SYSCALL_DEFINE2(fanmark, int, fd, u64, mask)
{
	return 0;
}
