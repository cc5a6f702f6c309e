  A = args[1] >> 32
  X = A
  A = instruction_pointer
  A += 5
  A -= X
  A *= 3
  A /= 7
  A &= 0xff
  A |= 0x100
  A ^= X
  A <<= 2
  A >>= 1
  A = -A
  mem[3] = A
  X = mem[3]
  A = len
  X = len
  mem[4] = X
  A = mem[4]
  if (A & 4) goto 22
  if (!(A & 8)) goto 22 else goto 22
  return A
  return TRACE(7)
