#include "tools/cli/args.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

#include "base/text.h"
#include "syscalls/edit_distance.h"
#include "tools/cli/command.h"
#include "tools/cli/output.h"

namespace sysfence::cli {

std::optional<std::string> ParsedArgs::get(std::string_view flag) const {
  auto it = flags.find(flag);
  if (it == flags.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ParsedArgs::get_or(std::string_view flag, std::string_view fallback) const {
  auto v = get(flag);
  return v ? *v : std::string(fallback);
}

std::vector<std::string> ParsedArgs::all(std::string_view flag) const {
  auto it = flags.find(flag);
  return it == flags.end() ? std::vector<std::string>{} : it->second;
}

namespace {

const FlagSpec* find_long(std::span<const FlagSpec> specs, std::string_view name) {
  for (const auto& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

const FlagSpec* find_short(std::span<const FlagSpec> specs, char c) {
  for (const auto& s : specs)
    if (s.short_name != 0 && s.short_name == c) return &s;
  return nullptr;
}

// "unknown option --frmat: did you mean --format? (--help lists every
// option)": the nearest of the command's flags when it reads as a typo.
std::string unknown_option(std::string_view shown, std::span<const FlagSpec> specs) {
  std::vector<std::string_view> names;
  for (const FlagSpec& s : specs) names.push_back(s.name);
  std::optional<std::string_view> near;
  if (shown.starts_with("--")) near = syscalls::nearest(shown.substr(2), names);
  if (near) return fmt::format("unknown option {}: did you mean --{}? (--help lists every option)", shown, *near);
  return fmt::format("unknown option {} (--help lists every option)", shown);
}

}  // namespace

namespace {

// "-" names standard input wherever a file is read: two of them would read
// it twice (the second one empty).
Expected<void> stdin_read_once(const ParsedArgs& parsed, std::span<const FlagSpec> specs) {
  const auto ordinal = [](size_t n) {
    const std::string_view suffix = n % 100 / 10 == 1 ? "th"
                                    : n % 10 == 1     ? "st"
                                    : n % 10 == 2     ? "nd"
                                    : n % 10 == 3     ? "rd"
                                                      : "th";
    return fmt::format("{}{}", n, suffix);
  };
  std::vector<std::string> readers;
  size_t positional_readers = 0;
  for (size_t i = 0; i < parsed.positionals.size(); ++i) {
    if (parsed.positionals[i] != "-") continue;
    readers.push_back(ordinal(i + 1));
    ++positional_readers;
  }
  // A repeated flag once (a stack's --bpf has its own word for it).
  for (const FlagSpec& spec : specs) {
    if (spec.names_output || !spec.takes_value) continue;
    const std::vector<std::string> values = parsed.all(spec.name);
    if (std::find(values.begin(), values.end(), "-") != values.end()) readers.push_back(fmt::format("--{}", spec.name));
  }
  if (readers.size() < 2) return {};
  std::string who;
  if (positional_readers >= 2) who = fmt::format("the {} and {} positional arguments both", readers[0], readers[1]);
  else if (positional_readers == 1) who = fmt::format("the {} positional argument and {} both", readers[0], readers[1]);
  else who = fmt::format("{} and {} both", readers[0], readers[1]);
  return fail(fmt::format("standard input (-) can be read only once, but {} name it", who));
}

}  // namespace

Expected<ParsedArgs> parse_args(std::span<const std::string> args, std::span<const FlagSpec> specs,
                                bool stop_at_first_positional) {
  ParsedArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--") {
      out.saw_dashdash = true;
      out.after_dashdash.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    const FlagSpec* spec = nullptr;
    std::string_view shown = a;
    std::optional<std::string> inline_value;
    if (a.size() > 2 && a.starts_with("--")) {
      std::string_view body = a.substr(2);
      if (auto eq = body.find('='); eq != std::string_view::npos) {
        inline_value = std::string(body.substr(eq + 1));
        body = body.substr(0, eq);
        shown = a.substr(0, 2 + eq);
      }
      spec = find_long(specs, body);
      if (spec == nullptr) return fail(unknown_option(shown, specs));
    } else if (a.size() == 2 && a[0] == '-' && a[1] != '-' && (a[1] < '0' || a[1] > '9')) {
      // A negative number ("-1": what a tracer sets to skip a call) is an
      // argument: no flag is a digit.
      spec = find_short(specs, a[1]);
      if (spec == nullptr) return fail(unknown_option(a, specs));
    } else {
      if (stop_at_first_positional) {
        out.saw_dashdash = true;
        out.after_dashdash.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
        break;
      }
      out.positionals.emplace_back(a);
      continue;
    }
    const std::string key(spec->name);
    if (out.has(key) && !spec->repeatable) return fail(fmt::format("option --{} given more than once", key));
    if (!spec->takes_value) {
      if (inline_value) return fail(fmt::format("option --{} takes no value", key));
      out.flags[key].emplace_back();
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) return fail(fmt::format("option --{} needs a value", key));
      inline_value = args[++i];
    }
    // An empty name (an unset variable) is no file: refused here, before
    // the command writes nothing and says so with an empty name.
    if (spec->names_output && inline_value->empty())
      return fail(fmt::format("invalid {} \"\": empty file name", shown));
    if (!spec->names_output) note_argument_path(*inline_value);
    out.flags[key].push_back(std::move(*inline_value));
  }
  for (const std::string& p : out.positionals) note_argument_path(p);
  if (auto ok = stdin_read_once(out, specs); !ok) return Unexpected<Error>{ok.error()};
  return out;
}

std::optional<uint64_t> parse_u64(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

int usage_error(std::string_view message) {
  fmt::print(stderr, "sysfence: {}\n", printable(message));
  return kExitUsage;
}

int usage_error(std::string_view problem, std::string_view usage) {
  fmt::print(stderr, "sysfence: {}\n{}\n", printable(problem), usage);
  return kExitUsage;
}

std::string positional_count_problem(size_t given, std::string_view what) {
  if (given == 0) return fmt::format("no {} given", what);
  return fmt::format("one {} at a time: {} given", what, given);
}

}  // namespace sysfence::cli
