#include "run/oci_state.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>

namespace sysfence::run {

std::string container_process_state(pid_t pid, std::string_view metadata, std::string_view bundle) {
  boost::json::object state;
  state["ociVersion"] = kOciVersion;
  state["id"] = fmt::format("sysfence-{}", pid);
  state["status"] = "creating";
  state["pid"] = pid;
  state["bundle"] = bundle;

  boost::json::object doc;
  doc["ociVersion"] = kOciVersion;
  doc["fds"] = boost::json::array{boost::json::string(kSeccompFdName)};
  doc["pid"] = pid;
  if (!metadata.empty()) doc["metadata"] = metadata;
  doc["state"] = std::move(state);
  return boost::json::serialize(doc);
}

Expected<int> connect_to_agent(const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    return fail(fmt::format("listenerPath \"{}\": longer than the {} bytes a unix socket path may have", socket_path,
                            sizeof addr.sun_path - 1));
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  const int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return fail(fmt::format("listenerPath {}: socket: {}", socket_path, std::strerror(errno)));
  if (::connect(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(sock);
    return fail(fmt::format("listenerPath {}: connect: {}", socket_path, std::strerror(err)));
  }
  return sock;
}

Expected<void> send_to_agent(int agent, const std::string& socket_path, std::string_view state, int fd) {
  // The fd travels with the first bytes; the rest (if the socket takes the
  // payload in pieces) follows without it, as the spec allows.
  size_t sent = 0;
  bool fd_sent = false;
  while (sent < state.size()) {
    iovec iov{const_cast<char*>(state.data() + sent), state.size() - sent};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (!fd_sent) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    const ssize_t n = ::sendmsg(agent, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(fmt::format("listenerPath {}: sendmsg: {}", socket_path, std::strerror(errno)));
    }
    fd_sent = true;
    sent += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace sysfence::run
