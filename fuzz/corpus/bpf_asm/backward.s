top:
  A = arch
  goto top
