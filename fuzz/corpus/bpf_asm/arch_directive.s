.arch aarch64
  A = sys_number
  if (A == openat) goto ok
  return ERRNO(38)
ok:
  return LOG
