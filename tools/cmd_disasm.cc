// sysfence disasm (FILE.bpf | --pid PID) [--arch A] [--raw-endian little|big] [--asm]
//
// Prints a raw filter (the kernel's sock_filter array, in the arch's byte
// order) as seccomp-tools style text, or with --asm as assembler text without
// the hex columns. The arch (default: native) decides the byte order of the
// file (unless --raw-endian says otherwise) and the syscall names where the
// filter does not check the arch itself.
//
// A program the kernel would refuse is printed all the same, with the
// validator's reason as a warning on stderr and exit status 0: disasm is a
// viewer (like objdump, which lists what it cannot make sense of), and the
// broken filter is exactly what a user wants to look at. A file that is only
// valid in the other byte order gets a hint naming the flag that reads it so.
//
// --pid PID prints the process's filter; a process with a stack of several
// prints every filter, oldest first (kernel index order), each under a
// "# process P filter N" heading and separated by an empty line, so that
// every filter a live process enforces can be read in one go.
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "base/text.h"
#include "bpf/disasm.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/filter_stack.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/live_input.h"
#include "tools/cli/output.h"
#include "tools/cli/raw_filter.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "arch"},
    {.name = "asm", .takes_value = false},
    {.name = "pid"},
    {.name = "raw-endian"},
};

constexpr std::string_view kUsage =
    "usage: sysfence disasm (FILE.bpf | --pid PID) [--arch A] [--raw-endian little|big] [--asm]";

int run_disasm(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  const auto pid = parsed->get("pid");
  if (pid && !parsed->positionals.empty())
    return cli::usage_error("--pid PID takes the place of FILE.bpf: give one of them", kUsage);
  if (!pid && parsed->positionals.size() != 1)
    return cli::usage_error(cli::positional_count_problem(parsed->positionals.size(), "FILE.bpf"), kUsage);
  auto arch = syscalls::parse_arch(parsed->get_or("arch", "native"));
  if (!arch) return cli::usage_error(arch.error().message);

  auto byte_order = cli::raw_endian(*parsed, (*arch)->endian);
  if (!byte_order) return cli::usage_error(byte_order.error().message);

  if (pid) {
    auto live = cli::read_pid_stack(*pid);
    if (!live) return cli::usage_error(live.error().message);
    const bpf::DisasmOptions options{
        .arch = *arch,
        .format = parsed->has("asm") ? bpf::TextFormat::kAsm : bpf::TextFormat::kListing,
    };
    for (size_t index = 0; index < live->size(); ++index) {
      if (live->size() > 1) fmt::print("{}# {}\n", index == 0 ? "" : "\n", live->names[index]);
      fmt::print("{}", bpf::disassemble(live->programs[index], options));
    }
    return cli::kExitOk;
  }
  const std::string& path = parsed->positionals[0];
  auto filter = cli::read_raw_filter_checked(path, *byte_order);
  if (!filter) return cli::usage_error(filter.error().message);

  const bpf::DisasmOptions options{
      .arch = *arch,
      .format = parsed->has("asm") ? bpf::TextFormat::kAsm : bpf::TextFormat::kListing,
  };
  fmt::print("{}", bpf::disassemble(filter->program, options));
  std::fflush(stdout);
  const std::string name = path == "-" ? "<stdin>" : path;
  if (filter->rejected) {
    fmt::print(stderr, "sysfence: warning: {}: the kernel would reject this filter: {}\n", name,
               one_line(*filter->rejected));
  }
  if (filter->byte_order_hint) fmt::print(stderr, "sysfence: hint: {}: {}\n", name, *filter->byte_order_hint);
  return cli::kExitOk;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--arch A", cli::help::kArch},
    {"--raw-endian little|big", cli::help::kRawEndian},
    {"--pid PID",
     "print the filters the running process PID enforces (as `sysfence dump --pid`) instead of a file; several: "
     "each under a `# process PID filter N` heading, oldest first"},
    {"--asm", "assembler text with labels and an .arch line, which asm reads back byte for byte"},
};

const cli::Registration kRegistration{
    {"disasm", "print a raw filter as text: FILE.bpf [--arch A] [--asm]", &run_disasm, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
