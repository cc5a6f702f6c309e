// Reading a raw filter file (struct sock_filter[]), the same way for every
// command that takes one (disasm, diff, verify, audit, sim, stats).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "base/expected.h"
#include "base/seccomp.h"
#include "bpf/insn.h"
#include "tools/cli/args.h"

namespace sysfence::cli {

// Far above the kernel's 4096 instructions (32 KiB): an oversized file is
// refused before it is decoded.
inline constexpr size_t kMaxRawBytes = size_t{8} * 1024 * 1024;

// --raw-endian little|big, else `fallback` (the arch's byte order).
// Error: `--raw-endian must be little or big, not "x"`.
Expected<Endian> raw_endian(const ParsedArgs& parsed, Endian fallback);

// "-" is stdin, named "<stdin>" in messages; errors name the file. A program
// the kernel would refuse is returned for the caller's own check, unless it
// is valid in the other byte order: then the error is the validator's with
// the byte-order hint below.
Expected<bpf::Program> read_raw_filter(const std::string& path, Endian byte_order);

// A raw filter as a viewer (disasm) reads it: whatever its instructions,
// with what the user should be told about it.
struct CheckedRawFilter {
  bpf::Program program;
  // The validator's reason the kernel would refuse the program.
  std::optional<std::string> rejected;
  // When the program is invalid in `byte_order` but valid in the other:
  // "looks big-endian: try --arch s390x or --raw-endian big" (the arch the
  // program itself compares seccomp_data.arch with, when it does).
  std::optional<std::string> byte_order_hint;
};
Expected<CheckedRawFilter> read_raw_filter_checked(const std::string& path, Endian byte_order);

}  // namespace sysfence::cli
