#include "run/remote_memory.h"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace sysfence::run {

std::optional<RemoteString> read_remote_string(pid_t pid, uint64_t address, size_t limit) {
  static const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  RemoteString out;
  uint64_t at = address;
  char buf[4096];
  while (out.bytes.size() < limit) {
    // Never cross a page boundary in one read: process_vm_readv does not
    // split an iovec, so a read that touches an unmapped page fails whole.
    size_t chunk = page - static_cast<size_t>(at % page);
    chunk = std::min({chunk, sizeof buf, limit - out.bytes.size()});
    iovec local{buf, chunk};
    // NOLINTNEXTLINE(performance-no-int-to-ptr): an address in the tracee, never dereferenced here.
    iovec remote{reinterpret_cast<void*>(at), chunk};
    const ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) {
      if (out.bytes.empty()) return std::nullopt;
      return out;  // readable up to an unmapped page: shown as truncated
    }
    const void* nul = std::memchr(buf, '\0', static_cast<size_t>(n));
    if (nul != nullptr) {
      out.bytes.append(buf, static_cast<const char*>(nul) - buf);
      out.complete = true;
      return out;
    }
    out.bytes.append(buf, static_cast<size_t>(n));
    at += static_cast<uint64_t>(n);
  }
  return out;
}

}  // namespace sysfence::run
