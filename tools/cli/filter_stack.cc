#include "tools/cli/filter_stack.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <system_error>

#include "bpf/kernel_length.h"
#include "tools/cli/live_input.h"
#include "tools/cli/raw_filter.h"

namespace sysfence::cli {

namespace {

// More filters than any task can carry (the kernel caps a stack at
// MAX_INSNS_PER_PATH = 32768 instructions, each filter costing 4 more).
constexpr size_t kMaxFilters = 4096;

// "filter-<index>.bpf" -> index; nullopt for other names.
std::optional<size_t> dump_index(const std::string& file) {
  constexpr std::string_view kPrefix = "filter-";
  constexpr std::string_view kSuffix = ".bpf";
  if (file.size() <= kPrefix.size() + kSuffix.size() || file.rfind(kPrefix, 0) != 0 ||
      file.compare(file.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return std::nullopt;
  }
  const std::string_view digits(file.data() + kPrefix.size(), file.size() - kPrefix.size() - kSuffix.size());
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;  // one spelling per index
  size_t index = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return index;
}

// A dump directory: filter-0.bpf (the oldest) .. filter-<n-1>.bpf (the newest).
Expected<FilterStack> read_dump_directory(const std::string& dir, Endian byte_order) {
  std::map<size_t, std::string> files;  // kernel index -> path
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (auto index = dump_index(it->path().filename().string())) files[*index] = it->path().string();
  }
  if (ec) return fail(fmt::format("{}: cannot read the directory: {}", dir, ec.message()));
  if (files.empty()) return fail(fmt::format("{}: no filter-0.bpf: not a dump directory (sysfence dump -o DIR)", dir));
  if (files.size() > kMaxFilters) return fail(fmt::format("{}: more than {} filters", dir, kMaxFilters));
  size_t expected = 0;
  for (const auto& [index, path] : files) {
    if (index != expected)
      return fail(fmt::format("{}: filter-{}.bpf is missing (the stack has a gap)", dir, expected));
    ++expected;
  }
  FilterStack out;
  // The kernel's index is the installation position.
  for (const auto& [index, path] : files) {
    auto prog = read_raw_filter(path, byte_order);
    if (!prog) return fail(prog.error().message);
    out.programs.push_back(std::move(*prog));
    out.names.push_back(path);
  }
  return out;
}

// The kernel's limit on a thread's filters together (kernel/seccomp.c
// seccomp_attach_filter, bpf/kernel_length.h): a longer stack cannot exist,
// so reading one as a stack is a mistake. The kernel counts each filter
// converted to eBPF, so the limit depends on what the filters contain.
Expected<FilterStack> within_kernel_total(FilterStack stack) {
  if (stack.size() < 2) return stack;
  const size_t total = bpf::kernel_charged_total(stack.programs);
  if (total <= bpf::kMaxInsnsPerPath) return stack;
  // The filter whose attachment the kernel refuses: the first at which the
  // running total goes over the limit (`older`: the filters before it, each
  // + 4). The loop ends within the stack, since the whole is over the limit.
  size_t refused = 0;
  size_t older = 0;
  while (older + bpf::kernel_charged_length(stack.programs[refused]) <= bpf::kMaxInsnsPerPath) {
    older += bpf::kernel_charged_length(stack.programs[refused]) + bpf::kOlderFilterPenalty;
    ++refused;
  }
  return fail(fmt::format(
      "{} filters of {} instructions as the kernel counts them (each filter converted to eBPF, + {} per older "
      "filter), over its limit of {}: the kernel refuses filter {} ({}) on top of the ones before it (ENOMEM), "
      "so no thread can have this stack",
      stack.size(), total, bpf::kOlderFilterPenalty, bpf::kMaxInsnsPerPath, refused, stack.names[refused]));
}

}  // namespace

bool is_directory(const std::string& path) {
  std::error_code ec;
  return path != "-" && std::filesystem::is_directory(path, ec);
}

Expected<FilterStack> read_filter_stack(const std::vector<std::string>& sources, Endian byte_order) {
  if (sources.empty()) return fail("no filter given (--bpf FILE or --bpf DIR)");
  if (sources.size() > kMaxFilters) return fail(fmt::format("more than {} filters", kMaxFilters));
  for (const std::string& s : sources) {
    if (is_directory(s)) {
      if (sources.size() > 1) {
        return fail(fmt::format("{}: a dump directory is a whole filter stack: give it alone, without other --bpf", s));
      }
      auto stack = read_dump_directory(s, byte_order);
      if (!stack) return stack;
      return within_kernel_total(std::move(*stack));
    }
  }
  if (std::count(sources.begin(), sources.end(), "-") > 1) return fail("only one filter can be read from stdin");
  FilterStack out;
  for (const std::string& s : sources) {
    auto prog = read_raw_filter(s, byte_order);
    if (!prog) return fail(prog.error().message);
    out.programs.push_back(std::move(*prog));
    out.names.push_back(s == "-" ? "<stdin>" : s);
  }
  return within_kernel_total(std::move(out));
}

Expected<FilterStack> read_pid_stack(std::string_view pid_text) {
  auto pid = parse_pid(pid_text);
  if (!pid) return fail(pid.error().message);
  auto newest_first = read_pid_filters(*pid);
  if (!newest_first) return fail(newest_first.error().message);
  FilterStack out;
  const size_t n = newest_first->size();
  for (size_t index = 0; index < n; ++index) {
    out.programs.push_back(std::move((*newest_first)[n - 1 - index]));
    out.names.push_back(n == 1 ? pid_source(pid_text) : fmt::format("{} filter {}", pid_source(pid_text), index));
  }
  return out;
}

Expected<FilterStack> read_filter_stack(const ParsedArgs& parsed, Endian byte_order) {
  if (auto pid = parsed.get("pid")) return read_pid_stack(*pid);
  return read_filter_stack(parsed.all("bpf"), byte_order);
}

}  // namespace sysfence::cli
