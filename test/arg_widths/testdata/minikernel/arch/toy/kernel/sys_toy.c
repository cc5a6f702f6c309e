SYSCALL_DEFINE2(toy_kill, pid_t, pid, unsigned long, sig)
{
	return 0;
}
