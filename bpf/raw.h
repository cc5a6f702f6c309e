// The kernel's raw filter layout: an array of `struct sock_filter` (8 bytes
// each: u16 code, u8 jt, u8 jf, u32 k) in the target's byte order. This is what
// `sysfence compile --format raw` writes and what prctl/seccomp(2) consume.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/seccomp.h"
#include "bpf/insn.h"

namespace sysfence::bpf {

inline constexpr size_t kRawInsnSize = 8;

// Decodes raw bytes in byte order `e`. `name` (usually the file name) prefixes
// error messages: an empty input and a size that is not a multiple of 8 are
// errors naming the byte offset of the truncated instruction, e.g.
//   "f.bpf: truncated instruction at byte offset 16 (size 20 is not a multiple of 8)".
// Validity of the instructions themselves is the validator's job.
Expected<Program> read_raw(std::span<const uint8_t> bytes, Endian e, std::string_view name);

// Encodes `prog` in byte order `e` (exactly 8 * prog.size() bytes).
std::vector<uint8_t> write_raw(std::span<const Insn> prog, Endian e);

// The byte order of the machine running this code (the layout the local
// kernel expects from prctl/seccomp).
Endian host_endian();

}  // namespace sysfence::bpf
