# read/write on x86_64 and i386
  A = arch
  if (A == ARCH_I386) goto i386
  if (A != ARCH_X86_64) goto kill
  A = sys_number
  if (A >= 0x40000000) goto kill
  if (A == read) goto allow
  if (A == write) goto allow else goto deny
i386:
  A = sys_number
  if (A == i386:read) goto allow
  if (A != write) goto deny
  A = args[0]
  if (A == 1) goto allow
deny:
  return ERRNO(1)
allow:
  return ALLOW
kill:
  return KILL_PROCESS
