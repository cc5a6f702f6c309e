  A = banana
