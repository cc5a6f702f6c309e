// Output files are written atomically: a temporary file beside the target is
// filled, flushed and renamed, so an error never leaves a partial file.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace sysfence::cli {

// Writes `bytes` to `path` atomically; "-" writes to stdout.
Expected<void> write_output(const std::string& path, std::span<const uint8_t> bytes);
Expected<void> write_output(const std::string& path, std::string_view text);

// Reads a whole file ("-" = stdin) with an upper bound on its size; the error
// names the file ("profile.json: file is larger than 16 MiB").
Expected<std::string> read_input(const std::string& path, size_t max_bytes);

}  // namespace sysfence::cli
