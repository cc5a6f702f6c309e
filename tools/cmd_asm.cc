// sysfence asm FILE.s [--arch A] -o FILE.bpf
// sysfence asm FILE.s [--arch A] --format c [--name IDENT] [--kernel X.Y] [--install-flags F,..] [-o FILE.h]
//
// Assembles text (the output of `sysfence disasm`, either format, or written
// by hand) into a raw filter in the arch's byte order, after checking it with
// the kernel-exact validator, or into the same C header `compile --format c`
// writes (for the arch alone). The arch is --arch, else the file's `.arch`
// line, else native; --arch and a different `.arch` line are an error.
#include <fmt/format.h>

#include <string>

#include "bpf/asm.h"
#include "bpf/disasm.h"
#include "bpf/raw.h"
#include "bpf/validate.h"
#include "pipeline/c_header.h"
#include "syscalls/arch.h"
#include "syscalls/filter_support.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/output.h"
#include "tools/cli/resolve_flags.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "arch"},   {.name = "format"},        {.name = "name"},
    {.name = "kernel"}, {.name = "install-flags"}, {.name = "output", .short_name = 'o', .names_output = true},
};

constexpr size_t kMaxTextBytes = size_t{16} * 1024 * 1024;

constexpr std::string_view kUsage =
    "usage: sysfence asm FILE.s [--arch A] [--format raw|c] [--name IDENT] [--kernel X.Y] "
    "[--install-flags F[,F..]] -o FILE";

// What the C header needs besides the program, checked before any input is
// read.
struct HeaderOptions {
  std::string name;
  syscalls::KernelVersion kernel;
  uint32_t install_flags = 0;
};

Expected<HeaderOptions> header_options(const cli::ParsedArgs& parsed, const std::string& path) {
  HeaderOptions h;
  h.name = parsed.get_or("name", pipeline::default_c_name(path == "-" ? "stdin" : path));
  if (!pipeline::is_c_identifier(h.name))
    return fail(fmt::format("invalid --name \"{}\": not a C identifier (or a C/C++ keyword)", h.name));
  auto kernel = cli::target_kernel(parsed);
  if (!kernel) return fail(kernel.error().message);
  h.kernel = *kernel;
  auto flags = pipeline::parse_install_flags(parsed.get_or("install-flags", ""), h.kernel);
  if (!flags) return fail(flags.error().message);
  h.install_flags = *flags;
  return h;
}

std::string header_for(const bpf::Assembly& assembly, const HeaderOptions& h, const std::string& shown) {
  pipeline::CHeaderSpec spec;
  spec.name = h.name;
  spec.abis = {assembly.arch->id};
  spec.kernel = h.kernel;
  spec.install_flags = h.install_flags;
  spec.summary = {
      fmt::format("filter:   {} (assembled; not proved against any policy)", shown),
      fmt::format("arches:   {}", assembly.arch->name),
      fmt::format("length:   {} instructions", assembly.program.size()),
      fmt::format("kernel:   Linux {} or later", syscalls::to_string(h.kernel)),
      fmt::format("flags:    {}", pipeline::install_flag_names(h.install_flags)),
  };
  spec.statements = bpf::statements(assembly.program, assembly.arch);
  return pipeline::c_header_text(assembly.program, spec);
}

int run_asm(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  const std::string format = parsed->get_or("format", "raw");
  if (format != "raw" && format != "c") {
    return cli::usage_error(fmt::format("invalid --format \"{}\": expected raw or c", format));
  }
  if (parsed->positionals.size() != 1)
    return cli::usage_error(cli::positional_count_problem(parsed->positionals.size(), "FILE.s"), kUsage);
  // As for compile: only the C header installs the filter.
  if (format != "c" && parsed->has("install-flags")) {
    return cli::usage_error(fmt::format(
        "--install-flags applies to --format c (the C header installs the filter with them), not --format {}", format));
  }
  if (format == "raw" && !parsed->has("output")) {
    return cli::usage_error(
        "raw output (the default --format) needs -o FILE; --format c prints a C header on "
        "standard output");
  }
  const bool arch_explicit = parsed->has("arch");
  auto arch = syscalls::parse_arch(parsed->get_or("arch", "native"));
  if (!arch) return cli::usage_error(arch.error().message);

  const std::string& path = parsed->positionals[0];
  const std::string shown = path == "-" ? "<stdin>" : path;
  HeaderOptions header;
  if (format == "c") {
    auto h = header_options(*parsed, path);
    if (!h) return cli::usage_error(h.error().message);
    header = std::move(*h);
  }
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

  if (format == "c") {
    // The same check the target-kernel pass makes for compile.
    const syscalls::FilterSupport& support = syscalls::filter_support(assembly->arch->id);
    if (support.since.known() && header.kernel < support.since) {
      return cli::usage_error(fmt::format("{} needs Linux {} for seccomp filters; the target kernel is {}",
                                          assembly->arch->name, syscalls::to_string(support.since),
                                          syscalls::to_string(header.kernel)));
    }
    if (auto written = cli::write_output(parsed->get_or("output", "-"), header_for(*assembly, header, shown)); !written)
      return cli::usage_error(written.error().message);
    return cli::kExitOk;
  }
  const std::vector<uint8_t> raw = bpf::write_raw(assembly->program, assembly->arch->endian);
  if (auto written = cli::write_output(*parsed->get("output"), raw); !written)
    return cli::usage_error(written.error().message);
  return cli::kExitOk;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--arch A", "the ABI of syscall names (default: the text's .arch line, else native)"},
    {"--format raw|c", "a raw filter (the default; needs -o) or the C header compile --format c writes"},
    {"--name IDENT", cli::help::kCName},
    {"--kernel X.Y", "the target kernel of the C header's installer (default: the running one)"},
    {"--install-flags F[,F..]", cli::help::kInstallFlags},
    {"-o, --output FILE", cli::help::kOutput},
};

const cli::Registration kRegistration{
    {"asm", "assemble text into a raw filter or a C header: FILE.s [--arch A] [--format raw|c] -o FILE", &run_asm,
     kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
