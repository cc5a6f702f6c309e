// sysfence asm FILE.s [--arch A] -o FILE.bpf
//
// Assembles text (the output of `sysfence disasm`, either format, or written
// by hand) into a raw filter in the arch's byte order, after checking it with
// the kernel-exact validator. The arch is --arch, else the file's `.arch`
// line, else native; --arch and a different `.arch` line are an error.
#include <fmt/format.h>

#include <string>

#include "bpf/asm.h"
#include "bpf/raw.h"
#include "bpf/validate.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/output.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "arch"},
    {.name = "output", .short_name = 'o'},
};

constexpr size_t kMaxTextBytes = size_t{16} * 1024 * 1024;

constexpr std::string_view kUsage = "usage: sysfence asm FILE.s [--arch A] -o FILE.bpf";

int run_asm(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  if (parsed->positionals.size() != 1 || !parsed->has("output")) return cli::usage_error(kUsage);
  const bool arch_explicit = parsed->has("arch");
  auto arch = syscalls::parse_arch(parsed->get_or("arch", "native"));
  if (!arch) return cli::usage_error(arch.error().message);

  const std::string& path = parsed->positionals[0];
  const std::string shown = path == "-" ? "<stdin>" : path;
  auto text = cli::read_input(path, kMaxTextBytes);
  if (!text) return cli::usage_error(text.error().message);

  auto assembly = bpf::assemble(*text, {.file_name = shown, .arch = *arch, .arch_explicit = arch_explicit});
  if (!assembly) return cli::usage_error(assembly.error().message);

  // The kernel would refuse what the validator rejects: say where.
  if (auto violation = bpf::find_violation(assembly->program)) {
    if (violation->index < assembly->positions.size()) {
      const bpf::SourcePos& pos = assembly->positions[violation->index];
      return cli::usage_error(fmt::format("{}:{}:{}: {}", shown, pos.line, pos.column, violation->message));
    }
    return cli::usage_error(fmt::format("{}: {}", shown, violation->message));
  }

  const std::vector<uint8_t> raw = bpf::write_raw(assembly->program, assembly->arch->endian);
  if (auto written = cli::write_output(*parsed->get("output"), raw); !written)
    return cli::usage_error(written.error().message);
  return cli::kExitOk;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--arch A", "the ABI of syscall names (default: the text's .arch line, else native)"},
    {"-o, --output FILE", cli::help::kOutput},
};

const cli::Registration kRegistration{
    {"asm", "assemble text into a raw filter: FILE.s [--arch A] -o FILE.bpf", &run_asm, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
