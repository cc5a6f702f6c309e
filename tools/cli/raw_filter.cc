#include "tools/cli/raw_filter.h"

#include <fmt/format.h>

#include <cstdint>
#include <span>

#include "bpf/raw.h"
#include "bpf/validate.h"
#include "syscalls/arch.h"
#include "tools/cli/output.h"

namespace sysfence::cli {

Expected<Endian> raw_endian(const ParsedArgs& parsed, Endian fallback) {
  const auto e = parsed.get("raw-endian");
  if (!e) return fallback;
  if (*e == "little") return Endian::kLittle;
  if (*e == "big") return Endian::kBig;
  return fail(fmt::format("--raw-endian must be little or big, not \"{}\"", *e));
}

namespace {

// The ABI of `order` whose AUDIT_ARCH value the program compares with (the
// arch check every seccomp filter starts with), else the usual one.
std::string_view suggested_arch(const bpf::Program& program, Endian order) {
  for (const bpf::Insn& insn : program) {
    if (bpf::insn_class(insn.code) != bpf::kJmp || insn.code == (bpf::kJmp | bpf::kJa)) continue;
    for (const syscalls::Arch& a : syscalls::all_arches()) {
      if (a.endian == order && a.audit_arch == insn.k) return a.name;
    }
  }
  return order == Endian::kBig ? "s390x" : "x86_64";
}

}  // namespace

Expected<CheckedRawFilter> read_raw_filter_checked(const std::string& path, Endian byte_order) {
  auto bytes = read_input(path, kMaxRawBytes);
  if (!bytes) return fail(bytes.error().message);
  const std::span<const uint8_t> raw(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
  const std::string name = path == "-" ? "<stdin>" : path;
  auto program = bpf::read_raw(raw, byte_order, name);
  if (!program) return fail(program.error().message);
  CheckedRawFilter out;
  out.program = std::move(*program);
  auto valid = bpf::validate(out.program);
  if (valid) return out;
  out.rejected = valid.error().message;
  const Endian other = byte_order == Endian::kLittle ? Endian::kBig : Endian::kLittle;
  auto swapped = bpf::read_raw(raw, other, name);
  if (swapped && bpf::validate(*swapped)) {
    const bool big = other == Endian::kBig;
    out.byte_order_hint = fmt::format("looks {}-endian: try --arch {} or --raw-endian {}", big ? "big" : "little",
                                      suggested_arch(*swapped, other), big ? "big" : "little");
  }
  return out;
}

Expected<bpf::Program> read_raw_filter(const std::string& path, Endian byte_order) {
  auto checked = read_raw_filter_checked(path, byte_order);
  if (!checked) return fail(checked.error().message);
  // The commands that run a filter refuse an invalid one anyway; one read in
  // the wrong byte order is refused here, where the way out is known.
  if (checked->rejected && checked->byte_order_hint) {
    return fail(
        fmt::format("{}: {}; it {}", path == "-" ? "<stdin>" : path, *checked->rejected, *checked->byte_order_hint));
  }
  return std::move(checked->program);
}

}  // namespace sysfence::cli
