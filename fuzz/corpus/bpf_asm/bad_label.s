  goto nowhere
  return ALLOW
