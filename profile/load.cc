#include "profile/load.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "profile/builtin.h"

namespace sysfence::profile {

Expected<std::string> read_text_file(std::string_view path_view, size_t max_bytes) {
  const std::string path(path_view);
  // An empty name (an unset variable) names no file: said so, not ": cannot open".
  if (path.empty()) return fail("empty file name");
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
  // Linux 0.x had no seccomp and KernelVersion{0, y} means "unknown".
  if (parts[0] == 0) return fail(fmt::format("invalid kernel version \"{}\": there is no Linux 0.x to target", s));
  return syscalls::KernelVersion{static_cast<uint16_t>(parts[0]), static_cast<uint16_t>(parts[1])};
}

Expected<syscalls::KernelVersion> host_kernel_version() {
  struct utsname u {};
  if (::uname(&u) != 0) return fail(fmt::format("uname: {}", std::strerror(errno)));
  auto v = parse_kernel_version(u.release);
  if (!v) return fail(fmt::format("cannot tell the running kernel's version: {}", v.error().message));
  return v;
}

}  // namespace sysfence::profile
