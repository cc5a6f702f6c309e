// sysfence disasm FILE.bpf [--arch A] [--asm]
//
// Prints a raw filter (the kernel's sock_filter array, in the arch's byte
// order) as seccomp-tools style text, or with --asm as assembler text without
// the hex columns. The arch (default: native) decides the byte order of the
// file and the syscall names where the filter does not check the arch itself.
#include <fmt/format.h>

#include <string>

#include "bpf/disasm.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/output.h"
#include "tools/cli/raw_filter.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "arch"},
    {.name = "asm", .takes_value = false},
};

constexpr std::string_view kUsage = "usage: sysfence disasm FILE.bpf [--arch A] [--asm]";

int run_disasm(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  if (parsed->positionals.size() != 1) return cli::usage_error(kUsage);
  auto arch = syscalls::parse_arch(parsed->get_or("arch", "native"));
  if (!arch) return cli::usage_error(arch.error().message);

  const std::string& path = parsed->positionals[0];
  auto prog = cli::read_raw_filter(path, (*arch)->endian);
  if (!prog) return cli::usage_error(prog.error().message);

  const bpf::DisasmOptions options{
      .arch = *arch,
      .format = parsed->has("asm") ? bpf::TextFormat::kAsm : bpf::TextFormat::kListing,
  };
  fmt::print("{}", bpf::disassemble(*prog, options));
  return cli::kExitOk;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--arch A", cli::help::kArch},
    {"--asm", "assembler text with labels and an .arch line, which asm reads back byte for byte"},
};

const cli::Registration kRegistration{
    {"disasm", "print a raw filter as text: FILE.bpf [--arch A] [--asm]", &run_disasm, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
