#include "profile/load.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "base/text.h"
#include "profile/builtin.h"
#include "syscalls/arch.h"

namespace sysfence::profile {

Expected<std::string> read_text_file(std::string_view path_view, size_t max_bytes) {
  const std::string path(path_view);
  const bool is_stdin = path == "-";
  const std::string shown = is_stdin ? "<stdin>" : path;
  const int fd = is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(fmt::format("{}: cannot open: {}", shown, std::strerror(errno)));
  auto close_fd = [&] {
    if (!is_stdin) ::close(fd);
  };
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close_fd();
    return fail(fmt::format("{}: is a directory", shown));
  }
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close_fd();
      return fail(fmt::format("{}: read failed: {}", shown, std::strerror(err)));
    }
    if (n == 0) break;
    if (data.size() + static_cast<size_t>(n) > max_bytes) {
      close_fd();
      return fail(fmt::format("{}: file is larger than the limit of {} bytes", shown, max_bytes));
    }
    data.append(buf, static_cast<size_t>(n));
  }
  close_fd();
  return data;
}

Expected<ReadResult> load_profile(std::string_view arg, const ReadOptions& options) {
  if (arg == kBuiltinDefaultName) return read_profile(builtin_default_profile_json(), kBuiltinDefaultName, options);
  auto text = read_text_file(arg, options.limits.max_bytes);
  if (!text) return fail(text.error().message);
  return read_profile(*text, arg == "-" ? std::string_view("<stdin>") : arg, options);
}

Expected<syscalls::KernelVersion> parse_kernel_version(std::string_view s) {
  // moby parseRelease: Sscanf("%d.%d"): two decimal numbers separated by a
  // dot; anything after the second number (".3-arch1") is ignored.
  auto bad = [&] { return fail(fmt::format("invalid kernel version \"{}\": expected X.Y such as 5.8", s)); };
  uint32_t parts[2] = {0, 0};
  size_t i = 0;
  for (int p = 0; p < 2; ++p) {
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      parts[p] = parts[p] * 10 + static_cast<uint32_t>(s[i] - '0');
      if (parts[p] > 0xffff) return bad();
      ++i;
    }
    if (i == start) return bad();
    if (p == 0) {
      if (i >= s.size() || s[i] != '.') return bad();
      ++i;
    }
  }
  return syscalls::KernelVersion{static_cast<uint16_t>(parts[0]), static_cast<uint16_t>(parts[1])};
}

Expected<syscalls::KernelVersion> host_kernel_version() {
  struct utsname u {};
  if (::uname(&u) != 0) return fail(fmt::format("uname: {}", std::strerror(errno)));
  auto v = parse_kernel_version(u.release);
  if (!v) return fail(fmt::format("cannot tell the running kernel's version: {}", v.error().message));
  return v;
}

Expected<UnknownSyscalls> parse_unknown_syscalls(std::string_view s) {
  if (s == "enosys") return UnknownSyscalls::kEnosys;
  if (s == "default") return UnknownSyscalls::kDefault;
  return fail(fmt::format("invalid --unknown-syscalls \"{}\": expected enosys or default", s));
}

Expected<ArgWidthMode> parse_arg_width_mode(std::string_view s) {
  if (s == "abi") return ArgWidthMode::kAbi;
  if (s == "64") return ArgWidthMode::k64;
  return fail(fmt::format("invalid --arg-width \"{}\": expected abi or 64", s));
}

Expected<Semantics> parse_semantics(std::string_view s) {
  if (s == "sysfence") return Semantics::kSysfence;
  if (s == "runc") return Semantics::kRunc;
  if (s == "libseccomp") return Semantics::kLibseccomp;
  return fail(fmt::format("invalid --semantics {}: expected sysfence, runc or libseccomp", quote(s)));
}

Expected<Action> parse_bad_arch_action(std::string_view s) {
  // SCMP_ACT_KILL_THREAD -> kill-thread.
  std::string w;
  std::string_view rest = s;
  if (rest.starts_with("SCMP_ACT_")) rest.remove_prefix(9);
  for (char c : rest) w += c == '_' ? '-' : static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (w == "kill-process") return Action::KillProcess();
  if (w == "kill-thread" || w == "kill") return Action::KillThread();
  if (w == "trap") return Action::Trap();
  if (w == "log") return Action::Log();
  if (w == "allow") return Action::Allow();
  if (w == "errno") return Action::Errno(1);
  if (w.starts_with("errno:")) {
    unsigned value = 0;
    const std::string_view digits = std::string_view(w).substr(6);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty() && value <= 0xffff) {
      return Action::Errno(static_cast<uint16_t>(value));
    }
  }
  return fail(
      fmt::format("invalid --bad-arch {}: expected kill-process, kill-thread (kill), trap, errno[:N], log "
                  "or allow",
                  quote(s)));
}

void print_warnings(const Resolution& resolution, std::FILE* out) {
  for (const Warning& w : resolution.warnings) fmt::print(out, "sysfence: warning: {}\n", one_line(w.message));
}

Expected<ResolveOptions> make_resolve_options(const ResolveFlags& flags) {
  ResolveOptions o;
  o.unknown_names_are_errors = flags.strict;
  if (flags.semantics) {
    auto s = parse_semantics(*flags.semantics);
    if (!s) return fail(s.error().message);
    if (*s != Semantics::kSysfence) {
      o.arg_width = ArgWidthMode::k64;
      o.bad_arch_action = Action::KillThread();
    }
    if (*s == Semantics::kLibseccomp) o.unknown_syscalls = UnknownSyscalls::kDefault;
  }
  if (flags.arch) {
    auto a = syscalls::parse_arch(*flags.arch);
    if (!a) return fail(a.error().message);
    o.native = (*a)->id;
  } else {
    o.native = syscalls::native_arch().id;
  }
  if (flags.caps) {
    auto c = parse_caps(*flags.caps);
    if (!c) return fail(c.error().message);
    o.caps = std::move(*c);
  } else {
    o.caps = docker_default_caps();
  }
  if (flags.kernel) {
    auto k = parse_kernel_version(*flags.kernel);
    if (!k) return fail(k.error().message);
    o.kernel = *k;
  } else {
    auto k = host_kernel_version();
    if (!k) return fail(k.error().message);
    o.kernel = *k;
  }
  if (flags.unknown_syscalls) {
    auto u = parse_unknown_syscalls(*flags.unknown_syscalls);
    if (!u) return fail(u.error().message);
    o.unknown_syscalls = *u;
  }
  if (flags.arg_width) {
    auto w = parse_arg_width_mode(*flags.arg_width);
    if (!w) return fail(w.error().message);
    o.arg_width = *w;
  }
  if (flags.bad_arch) {
    auto b = parse_bad_arch_action(*flags.bad_arch);
    if (!b) return fail(b.error().message);
    o.bad_arch_action = *b;
  }
  return o;
}

}  // namespace sysfence::profile
