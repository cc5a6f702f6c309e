COND_SYSCALL(frobnicate);
