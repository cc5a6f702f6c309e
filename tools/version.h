// The release (the top-level VERSION file) and the kernel source the syscall
// tables were generated from, for `sysfence --version`. Defined in a source
// file that //tools:version_cc writes at build time.
#pragma once

namespace sysfence {

extern const char kVersion[];              // "0.2.0"
extern const char kSyscallTablesKernel[];  // "6.12.117"

}  // namespace sysfence
