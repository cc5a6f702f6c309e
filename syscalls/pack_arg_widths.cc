// Build-time tool: writes the generated argument-width registry in the
// pointer-free form of syscalls/packed_arg_widths.h (C++ source on stdout).
// Checks what lookups rely on: ABIs in ArchId order, numbers ascending.
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "syscalls/arg_widths.h"
#include "syscalls/pack_literal.h"
#include "syscalls/packed_arg_widths.h"

namespace sysfence::syscalls {
namespace {

namespace generated {

struct AbiArgInfo {
  ArchId arch;
  unsigned register_bits;
  std::span<const ArgInfo> infos;
};

#include "syscalls/generated/arg_widths/registry.inc"

}  // namespace generated

class Pool {
 public:
  unsigned id(std::string_view s) {
    auto [it, added] = ids_.try_emplace(std::string(s), static_cast<unsigned>(begin_.size()));
    if (added) {
      begin_.push_back(static_cast<unsigned>(text_.size()));
      text_ += s;
    }
    return it->second;
  }
  const std::string& text() const { return text_; }
  const std::vector<unsigned>& begin() const { return begin_; }

 private:
  std::map<std::string, unsigned, std::less<>> ids_;
  std::string text_;
  std::vector<unsigned> begin_;
};

int run() {
  Pool pool;
  std::vector<unsigned> abi_begin;
  std::string records;
  unsigned count = 0;
  size_t a = 0;
  for (const generated::AbiArgInfo& abi : generated::kAbiArgInfo) {
    if (static_cast<size_t>(abi.arch) != a++) {
      std::fprintf(stderr, "pack_arg_widths: registry not in ArchId order at entry %zu\n", a - 1);
      return 1;
    }
    abi_begin.push_back(count);
    for (size_t j = 0; j < abi.infos.size(); ++j) {
      const ArgInfo& in = abi.infos[j];
      if (j > 0 && abi.infos[j - 1].nr >= in.nr) {
        std::fprintf(stderr, "pack_arg_widths: ABI %zu: numbers not ascending at %u\n", a - 1, in.nr);
        return 1;
      }
      const unsigned flags = (in.implemented ? packed::kImplemented : 0u) | (in.known ? packed::kKnown : 0u) |
                             (in.beyond_six ? packed::kBeyondSix : 0u);
      records += "    {" + std::to_string(in.nr) + "u, " + std::to_string(pool.id(in.name)) + ", " +
                 std::to_string(pool.id(in.entry)) + ", " + std::to_string(pool.id(in.source)) + ", " +
                 std::to_string(in.count) + ", " + std::to_string(flags) + ", {{";
      for (const ArgWidth& w : in.args) {
        records += "{" + std::to_string(pool.id(w.name)) + ", " + std::to_string(pool.id(w.type)) + ", " +
                   std::to_string(w.bits) + "}, ";
      }
      records += "}}},\n";
      ++count;
    }
  }
  abi_begin.push_back(count);
  if (a != static_cast<size_t>(kArchCount) || pool.begin().size() > 0xffff) {
    std::fprintf(stderr, "pack_arg_widths: %zu ABIs (want %d), %zu strings (at most 65535)\n", a, kArchCount,
                 pool.begin().size());
    return 1;
  }
  std::printf("// Generated at build time by //syscalls:pack_arg_widths; see syscalls/packed_arg_widths.h.\n");
  std::printf("#include \"syscalls/packed_arg_widths.h\"\n\nnamespace sysfence::syscalls::packed {\n\n");
  print_pool_literal("kPool", pool.text());
  std::printf("const uint32_t kStrBegin[] = {\n");
  for (unsigned b : pool.begin()) std::printf("    %uu,\n", b);
  std::printf("    %zuu,\n};\n", pool.text().size());
  std::printf("const PackedInfo kInfos[] = {\n%s};\n", records.c_str());
  std::printf("const uint32_t kAbiBegin[kArchCount + 1] = {");
  for (unsigned b : abi_begin) std::printf("%uu, ", b);
  std::printf("};\nconst uint8_t kRegisterBits[kArchCount] = {");
  for (const generated::AbiArgInfo& abi : generated::kAbiArgInfo) std::printf("%u, ", abi.register_bits);
  std::printf("};\n\n}  // namespace sysfence::syscalls::packed\n");
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace
}  // namespace sysfence::syscalls

int main() { return sysfence::syscalls::run(); }
