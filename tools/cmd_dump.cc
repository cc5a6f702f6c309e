// sysfence dump (--pid PID | -- CMD [ARGS...]) [-o DIR] [--format text|json] [--at-exec N] [--arch A]
//
// Reads the seccomp filters a process enforces, as the kernel holds them
// (live/filters.h): every filter of its stack, newest first, with the kernel's
// index and the flags it reports. --pid reads a running process (attached and
// detached again; never left stopped; a sleep its filters could not restart
// returns EINTR, live/restart.h); `-- CMD` starts CMD under ptrace and
// reads it at its N-th execve made under a filter (--at-exec, default 1) or,
// when it never gets there, as it exits, then lets it run to its end. The exit
// status is dump's own, not CMD's.
//
// Output: text (each filter by its kernel index, flags, length, disassembly), a
// JSON document, or with -o DIR a new directory with one raw file per filter,
// filter-<index>.bpf (the host's byte order, what the kernel holds), and
// stack.json; written atomically (an error leaves no directory).
#include <fmt/format.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <climits>
#include <string>
#include <vector>

#include "bpf/disasm.h"
#include "bpf/install.h"
#include "bpf/raw.h"
#include "live/filters.h"
#include "live/launch.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/format.h"
#include "tools/cli/live_input.h"
#include "tools/cli/output.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "pid"},    {.name = "output", .short_name = 'o', .names_output = true},
    {.name = "format"}, {.name = "at-exec"},
    {.name = "arch"},
};

constexpr std::string_view kUsage =
    "usage: sysfence dump (--pid PID | -- CMD [ARGS...]) [-o DIR] [--format text|json] [--at-exec N] [--arch A]";

std::string file_name(const live::LiveFilter& f) { return fmt::format("filter-{}.bpf", f.index); }

std::string flags_text(const live::LiveFilter& f) { return f.log_flag ? "LOG" : "none"; }

// The document of --format json (with disassembly) and of DIR/stack.json
// (with file names).
boost::json::object stack_json(const live::LiveStack& stack, const std::string& when, const bpf::DisasmOptions* text) {
  boost::json::object body;
  body["pid"] = stack.pid;
  body["mode"] = live::mode_name(stack.status.mode);
  body["no_new_privs"] = stack.status.no_new_privs;
  body["read_at"] = when.empty() ? boost::json::value(nullptr) : boost::json::value(when);
  boost::json::array filters;
  for (size_t position = 0; position < stack.filters.size(); ++position) {
    const live::LiveFilter& f = stack.filters[position];
    boost::json::object o;
    o["index"] = f.index;
    o["position"] = position;
    o["instructions"] = f.program.size();
    o["log"] = f.log_flag;
    if (text != nullptr) {
      o["file"] = nullptr;
      o["disassembly"] = bpf::disassemble(f.program, *text);
    } else {
      o["file"] = file_name(f);
    }
    filters.push_back(std::move(o));
  }
  body["filters"] = std::move(filters);
  return body;
}

std::string stack_text(const live::LiveStack& stack, const std::string& when, const bpf::DisasmOptions& text) {
  const size_t n = stack.filters.size();
  std::string out = fmt::format("process {}: seccomp mode {}, {} filter{}, no_new_privs {}{}\n", stack.pid,
                                live::mode_name(stack.status.mode), n, n == 1 ? "" : "s",
                                stack.status.no_new_privs ? 1 : 0, when.empty() ? "" : ", read " + when);
  for (size_t position = 0; position < n; ++position) {
    const live::LiveFilter& f = stack.filters[position];
    // "filter N" is the kernel's index N here as in every other command.
    const char* where = n == 1 ? "" : position == 0 ? " (newest: runs first)" : position + 1 == n ? " (oldest)" : "";
    out += fmt::format("\nfilter {}{}: {} instructions, flags: {}\n", f.index, where, f.program.size(), flags_text(f));
    out += bpf::disassemble(f.program, text);
  }
  return out;
}

Expected<void> write_dump_dir(const std::string& dir, const live::LiveStack& stack, const std::string& when) {
  std::vector<cli::DirectoryEntry> files;
  for (const live::LiveFilter& f : stack.filters) {
    const std::vector<uint8_t> raw = bpf::write_raw(f.program, bpf::host_endian());
    files.push_back({file_name(f), std::string(raw.begin(), raw.end())});
  }
  files.push_back({"stack.json", cli::json_document("dump", stack_json(stack, when, nullptr))});
  return cli::write_directory(dir, files);
}

struct Dumped {
  live::LiveStack stack;
  std::string when;
  pid_t child = 0;  // `-- CMD`: reaped after the output is written
};

Expected<Dumped> read_target(const cli::ParsedArgs& parsed) {
  if (auto pid_text = parsed.get("pid")) {
    auto pid = cli::parse_pid(*pid_text);
    if (!pid) return fail(pid.error().message);
    auto stack = live::read_stack(*pid);
    if (!stack) return fail(stack.error().message);
    return Dumped{std::move(*stack), "", 0};
  }
  unsigned at_exec = 1;
  if (auto n = parsed.get("at-exec")) {
    auto v = cli::parse_u64(*n);
    if (!v || *v == 0 || *v > 1000000) return fail(fmt::format("invalid --at-exec \"{}\": expected 1..1000000", *n));
    at_exec = static_cast<unsigned>(*v);
  }
  auto launched = live::launch_and_read(parsed.after_dashdash, at_exec);
  if (!launched) {
    // Not killed: the command runs to its end, then the error is reported.
    if (launched.error().child > 0) live::wait_for_exit(launched.error().child);
    return fail(launched.error().message);
  }
  return Dumped{std::move(launched->stack), std::move(launched->when), launched->child};
}

int run_dump(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  const bool by_pid = parsed->has("pid");
  const bool by_cmd = parsed->saw_dashdash && !parsed->after_dashdash.empty();
  if (by_pid && by_cmd) return cli::usage_error("give --pid PID or -- CMD, not both", kUsage);
  if (!parsed->positionals.empty())
    return cli::usage_error("put the command after --: sysfence dump [FLAGS] -- CMD [ARGS...]", kUsage);
  if (!by_pid && !by_cmd) return cli::usage_error("give --pid PID or -- CMD [ARGS...]", kUsage);
  if (by_pid && parsed->has("at-exec")) return cli::usage_error("--at-exec applies to -- CMD, not to --pid");
  auto format = cli::parse_format(*parsed);
  if (!format) return cli::usage_error(format.error().message);
  if (parsed->has("output") && parsed->has("format")) {
    return cli::usage_error("-o DIR writes raw filters and stack.json; it takes no --format");
  }
  auto arch = syscalls::parse_arch(parsed->get_or("arch", "native"));
  if (!arch) return cli::usage_error(arch.error().message);

  // Before CMD runs or the process is stopped to be read.
  if (auto dir = parsed->get("output"))
    if (auto ok = cli::check_output_directory(*dir); !ok) return cli::usage_error(ok.error().message);
  auto dumped = read_target(*parsed);
  if (!dumped) return cli::usage_error(dumped.error().message);
  for (const std::string& note : live::notes(dumped->stack)) fmt::print(stderr, "sysfence: note: {}\n", note);
  int rc = cli::kExitOk;
  const bpf::DisasmOptions text{.arch = *arch, .format = bpf::TextFormat::kListing};
  if (auto dir = parsed->get("output")) {
    if (auto ok = write_dump_dir(*dir, dumped->stack, dumped->when); !ok) rc = cli::usage_error(ok.error().message);
  } else if (*format == cli::OutputFormat::kJson) {
    cli::print_json("dump", stack_json(dumped->stack, dumped->when, &text));
  } else {
    fmt::print("{}", stack_text(dumped->stack, dumped->when, text));
  }
  std::fflush(stdout);
  if (dumped->child > 0) live::wait_for_exit(dumped->child);
  return rc;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--pid PID", "read the running process PID (attached with ptrace and detached again; needs CAP_SYS_ADMIN)"},
    {"-- CMD [ARGS...]", "start CMD under ptrace and read it at its N-th execve under a filter, or as it exits"},
    {"--at-exec N", "with -- CMD: the execve made under a filter to read at (default 1)"},
    {"-o, --output DIR",
     "write a new directory: filter-<index>.bpf per filter (raw, the kernel's index: 0 = the oldest) and "
     "stack.json; nothing on error"},
    {"--format text|json", cli::help::kFormat},
    {"--arch A",
     "the ABI whose syscall names the disassembly uses where a filter does not check the arch (default: "
     "native)"},
};

const cli::Registration kRegistration{
    {"dump", "read the seccomp filters a running process (or CMD) enforces", &run_dump, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
