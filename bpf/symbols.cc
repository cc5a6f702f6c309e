#include "bpf/symbols.h"

#include <fmt/format.h>

#include <cctype>

#include "syscalls/table.h"

namespace sysfence::bpf {
namespace {

constexpr std::string_view kArchPrefix = "ARCH_";

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const syscalls::Arch* first_reporting(uint32_t audit_arch) {
  for (const auto& a : syscalls::all_arches())
    if (a.audit_arch == audit_arch) return &a;
  return nullptr;
}

// The number `name` has in `arch`'s table, if it has one.
std::optional<uint32_t> number_in(const syscalls::Arch& arch, std::string_view name) {
  return syscalls::table(arch).number(name);
}

}  // namespace

std::optional<std::string> arch_constant_name(uint32_t audit_arch) {
  const syscalls::Arch* a = first_reporting(audit_arch);
  if (a == nullptr) return std::nullopt;
  return std::string(kArchPrefix) + upper(a->name);
}

std::optional<uint32_t> parse_arch_constant(std::string_view token) {
  if (!token.starts_with(kArchPrefix)) return std::nullopt;
  const std::string_view rest = token.substr(kArchPrefix.size());
  if (rest.empty()) return std::nullopt;
  // find_arch is case-sensitive as Docker is; the constant is upper case, so
  // try the spellings it knows in their usual cases.
  for (const std::string& spelling : {std::string(rest), lower(rest), "SCMP_ARCH_" + upper(rest)}) {
    if (const syscalls::Arch* a = syscalls::find_arch(spelling)) return a->audit_arch;
  }
  return std::nullopt;
}

const syscalls::Arch* naming_arch(std::optional<uint32_t> known_audit, const syscalls::Arch* fallback) {
  if (!known_audit) return fallback;
  if (fallback != nullptr && fallback->audit_arch == *known_audit) return fallback;
  return first_reporting(*known_audit);
}

std::optional<std::string> syscall_spelling(uint32_t nr, const syscalls::Arch* ctx, bool qualified) {
  if (ctx == nullptr) return std::nullopt;
  if (auto name = syscalls::table(*ctx).name(nr)) {
    if (number_in(*ctx, *name) == nr) return std::string(*name);
  }
  if (!qualified) return std::nullopt;
  for (const auto& other : syscalls::all_arches()) {
    if (other.id == ctx->id || other.audit_arch != ctx->audit_arch) continue;
    if (auto name = syscalls::table(other).name(nr)) {
      if (number_in(other, *name) == nr) return fmt::format("{}:{}", other.name, *name);
    }
  }
  return std::nullopt;
}

Expected<uint32_t> resolve_syscall(std::string_view spelling, const syscalls::Arch* ctx) {
  std::string_view name = spelling;
  if (auto colon = spelling.find(':'); colon != std::string_view::npos) {
    const std::string_view abi = spelling.substr(0, colon);
    name = spelling.substr(colon + 1);
    ctx = syscalls::find_arch(abi);
    if (ctx == nullptr) return fail(fmt::format(R"(unknown architecture "{}" in "{}")", abi, spelling));
  } else if (ctx == nullptr) {
    return fail(
        fmt::format("syscall name \"{}\" needs an architecture: pass --arch, add `.arch NAME`, or check "
                    "the arch before this instruction",
                    spelling));
  }
  if (auto nr = number_in(*ctx, name)) return *nr;
  return fail(fmt::format("unknown syscall \"{}\" for architecture {}", name, ctx->name));
}

}  // namespace sysfence::bpf
