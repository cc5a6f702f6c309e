// sysfence resolve [--arch A] NAME|NR ...,   sysfence resolve --arch A --list
// and   sysfence resolve --list-arches
//
// Prints "name<TAB>number" per argument (a number argument prints its name),
// the whole table of an ABI in number order, or every ABI with its spellings. Numbers are what
// seccomp_data.nr carries (bias included: x32 0x40000000, MIPS 4000/5000/6000).
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/text.h"
#include "syscalls/arch.h"
#include "syscalls/json.h"
#include "syscalls/table.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/format.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "arch"},
    {.name = "list", .takes_value = false},
    {.name = "list-arches", .takes_value = false},
    {.name = "format"},
};

// " (did you mean \"X\"?)" for a near name, else nothing.
std::string suggestion(std::optional<std::string_view> near) {
  return near ? fmt::format(R"( (did you mean "{}"?))", *near) : std::string();
}
// Why `nr` (the argument `arg`) names no syscall: outside the table's
// numbers, or a number inside them the kernel never assigned on this ABI
// (x86_64's 335..423 gap), with the syscalls on either side.
std::string no_such_number(const syscalls::Table& table, std::string_view abi, std::string_view arg, uint64_t nr) {
  const auto entries = table.entries();
  if (entries.empty()) return fmt::format("no syscall number {} on {}: its table is empty", arg, abi);
  if (nr < entries.front().nr || nr > entries.back().nr) {
    return fmt::format("no syscall number {} on {}: its numbers run from {} to {}", arg, abi, entries.front().nr,
                       entries.back().nr);
  }
  const auto above = std::lower_bound(entries.begin(), entries.end(), nr,
                                      [](const syscalls::Syscall& s, uint64_t n) { return s.nr < n; });
  const auto below = std::prev(above);
  return fmt::format("syscall number {} is not assigned on {} (no syscall between {} {} and {} {})", arg, abi,
                     below->name, below->nr, above->name, above->nr);
}

constexpr std::string_view kUsage =
    "usage: sysfence resolve [--arch A] NAME|NR ...  or  sysfence resolve --arch A --list"
    "  or  sysfence resolve --list-arches  [--format text|json]";

// The spellings of `a` beyond its short, SCMP_ARCH_* and Go names, comma
// separated ("-" when there are none).
std::string other_spellings(const syscalls::Arch& a) {
  std::string out;
  for (std::string_view s : syscalls::arch_spellings(a.id)) {
    if (s == a.name || s == a.scmp_name || s == a.go_name) continue;
    if (!out.empty()) out += ',';
    out += s;
  }
  return out.empty() ? "-" : out;
}

// One row per ABI under a header, columns padded to their widest cell so
// that the table reads aligned; the last column (aliases) is not padded.
std::string arch_table() {
  std::vector<std::vector<std::string>> rows = {
      {"ABI", "SCMP_ARCH", "GO", "AUDIT_ARCH", "ENDIAN", "BITS", "OTHER SPELLINGS"}};
  for (const auto& a : syscalls::all_arches()) {
    rows.push_back({std::string(a.name), std::string(a.scmp_name), std::string(a.go_name),
                    fmt::format("{:#010x}", a.audit_arch), a.endian == Endian::kLittle ? "little" : "big",
                    fmt::format("{}", a.word_bits), other_spellings(a)});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i + 1 < row.size(); ++i) out += fmt::format("{:<{}}  ", row[i], widths[i]);
    out += row.back();
    out += '\n';
  }
  return out;
}

int run_resolve(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  auto format = cli::parse_format(*parsed);
  if (!format) return cli::usage_error(format.error().message);
  const bool json = *format == cli::OutputFormat::kJson;
  if (parsed->has("list-arches")) {
    if (!parsed->positionals.empty() || parsed->has("arch") || parsed->has("list"))
      return cli::usage_error("resolve: --list-arches takes no --arch, --list or NAME|NR arguments");
    if (!json) {
      fmt::print("{}", arch_table());
      return cli::kExitOk;
    }
    boost::json::array arches;
    for (const auto& a : syscalls::all_arches()) arches.push_back(syscalls::arch_json(a));
    boost::json::object body;
    body["arches"] = std::move(arches);
    cli::print_json("resolve", body);
    return cli::kExitOk;
  }
  auto arch = syscalls::parse_arch(parsed->get_or("arch", "native"));
  if (!arch) return cli::usage_error(arch.error().message);
  const syscalls::Table& table = syscalls::table(**arch);
  const bool list = parsed->has("list");
  if (list && !parsed->positionals.empty()) return cli::usage_error("resolve: --list takes no NAME|NR arguments");
  if (!list && parsed->positionals.empty())
    return cli::usage_error("give syscall names or numbers, or --list", kUsage);

  std::string out;
  boost::json::array found;
  const auto print = [&] {
    if (!json) {
      fmt::print("{}", out);
      return;
    }
    boost::json::object body;
    body["arch"] = (*arch)->name;
    body["syscalls"] = std::move(found);
    cli::print_json("resolve", body);
  };
  if (list) {
    for (const auto& s : table.entries()) {
      out += fmt::format("{}\t{}\n", s.name, s.nr);
      found.push_back(syscalls::syscall_json("", s.name, s.nr));
    }
    print();
    return cli::kExitOk;
  }
  // Resolve everything first: on a bad argument print nothing but the error.
  for (const auto& arg : parsed->positionals) {
    if (auto nr = cli::parse_u64(arg)) {
      const syscalls::Syscall* s = *nr <= UINT32_MAX ? table.find(static_cast<uint32_t>(*nr)) : nullptr;
      if (s == nullptr) return cli::usage_error(no_such_number(table, (*arch)->name, arg, *nr));
      out += fmt::format("{}\t{}\n", s->name, s->nr);
      found.push_back(syscalls::syscall_json(arg, s->name, s->nr));
      continue;
    }
    const syscalls::Syscall* s = table.find(arg);
    if (s == nullptr)
      return cli::usage_error(
          fmt::format("unknown syscall {} on {}{}", quote(arg), (*arch)->name, suggestion(table.nearest_name(arg))));
    // An alias prints under the name it was asked for, with the shared number.
    out += fmt::format("{}\t{}\n", arg, s->nr);
    found.push_back(syscalls::syscall_json(arg, arg, s->nr));
  }
  print();
  return cli::kExitOk;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--arch A", cli::help::kArch},
    {"--list", "print the ABI's whole table in number order"},
    {"--list-arches", "print every ABI: its spellings, AUDIT_ARCH value, byte order and word size"},
    {"--format text|json", cli::help::kFormat},
};

const cli::Registration kRegistration{{"resolve",
                                       "syscall names <-> numbers for any ABI (--arch A, --list, --list-arches)",
                                       &run_resolve, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
