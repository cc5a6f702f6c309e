#include "bpf/raw.h"

#include <fmt/format.h>

#include <bit>

namespace sysfence::bpf {

namespace {

uint16_t load16(const uint8_t* p, Endian e) {
  return e == Endian::kLittle ? static_cast<uint16_t>(p[0] | (p[1] << 8)) : static_cast<uint16_t>((p[0] << 8) | p[1]);
}

uint32_t load32(const uint8_t* p, Endian e) {
  if (e == Endian::kLittle) {
    return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
  }
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void store16(uint8_t* p, uint16_t v, Endian e) {
  if (e == Endian::kLittle) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
  } else {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
  }
}

void store32(uint8_t* p, uint32_t v, Endian e) {
  for (int i = 0; i < 4; ++i) {
    const int shift = e == Endian::kLittle ? 8 * i : 8 * (3 - i);
    p[i] = static_cast<uint8_t>(v >> shift);
  }
}

}  // namespace

Expected<Program> read_raw(std::span<const uint8_t> bytes, Endian e, std::string_view name) {
  if (bytes.empty()) {
    return fail(fmt::format("{}: empty filter (a program needs at least one instruction)", name));
  }
  if (bytes.size() % kRawInsnSize != 0) {
    const size_t offset = bytes.size() - bytes.size() % kRawInsnSize;
    return fail(fmt::format("{}: truncated instruction at byte offset {} (size {} is not a multiple of {})", name,
                            offset, bytes.size(), kRawInsnSize));
  }
  Program prog;
  prog.reserve(bytes.size() / kRawInsnSize);
  for (size_t off = 0; off < bytes.size(); off += kRawInsnSize) {
    const uint8_t* p = bytes.data() + off;
    prog.push_back(Insn{load16(p, e), p[2], p[3], load32(p + 4, e)});
  }
  return prog;
}

std::vector<uint8_t> write_raw(std::span<const Insn> prog, Endian e) {
  std::vector<uint8_t> out(prog.size() * kRawInsnSize);
  uint8_t* p = out.data();
  for (const Insn& insn : prog) {
    store16(p, insn.code, e);
    p[2] = insn.jt;
    p[3] = insn.jf;
    store32(p + 4, insn.k, e);
    p += kRawInsnSize;
  }
  return out;
}

Endian host_endian() { return std::endian::native == std::endian::little ? Endian::kLittle : Endian::kBig; }

}  // namespace sysfence::bpf
