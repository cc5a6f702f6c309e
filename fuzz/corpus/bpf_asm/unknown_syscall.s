  A = sys_number
  if (A == not_a_syscall) goto 2
  return ALLOW
