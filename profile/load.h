// Reading a profile the way the commands name it: "default" (the built-in
// Docker profile), a path, or "-" (stdin); and the kernel version that
// includes/excludes "minKernel" compare with. The command-line flags that
// choose the other resolution options are parsed in tools/cli/.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "profile/reader.h"
#include "syscalls/table.h"

namespace sysfence::profile {

// Largest profile file accepted (also the JSON reader's limit).
inline constexpr size_t kMaxProfileBytes = 16u << 20;

// "default" -> the built-in profile; "-" -> stdin (named "<stdin>"); else a
// file. A file literally called "default" is reached as "./default".
Expected<ReadResult> load_profile(std::string_view arg, const ReadOptions& options = {});

// Reads a whole file ("-" = stdin) up to `max_bytes`; errors name the file.
Expected<std::string> read_text_file(std::string_view path, size_t max_bytes = kMaxProfileBytes);

// "5.8", also a full release such as "6.18.3-arch1" (like moby, only
// major.minor count). Errors: `invalid kernel version "5": expected X.Y such as 5.8`.
Expected<syscalls::KernelVersion> parse_kernel_version(std::string_view s);
// The running kernel (uname -r), major.minor.
Expected<syscalls::KernelVersion> host_kernel_version();

}  // namespace sysfence::profile
