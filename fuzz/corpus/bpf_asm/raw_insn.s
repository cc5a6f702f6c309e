  .insn 0x20 0 0 0
  return USER_NOTIF {jt=1 k=0x7fc00000}
