// Handing a USER_NOTIF listener to a seccomp agent the way OCI runtimes do
// (runtime-spec config-linux.md, "The Container Process State"): connect to
// the profile's listenerPath (a unix stream socket), send the container
// process state as JSON in the regular payload, and the listener fd with
// SCM_RIGHTS in the first sendmsg(2):
//
//   {"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": 4422,
//    "metadata": "<listenerMetadata>",
//    "state": {"ociVersion": "1.0.2", "id": "sysfence-4422", "status": "creating",
//              "pid": 4422, "bundle": "/current/directory"}}
//
// sysfence has no container: the id is "sysfence-PID", the bundle the
// working directory, and the status "creating" (the filter is in place and
// the command not yet started, as when runc's init installs it).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/expected.h"

namespace sysfence::run {

inline constexpr std::string_view kOciVersion = "1.0.2";
inline constexpr std::string_view kSeccompFdName = "seccompFd";

// The JSON document above. "metadata" is omitted when empty (it is optional).
std::string container_process_state(pid_t pid, std::string_view metadata, std::string_view bundle);

// A unix stream socket connected to the agent at `socket_path` (O_CLOEXEC;
// the caller closes it). Errors name the path and the step ("connect:
// Connection refused").
Expected<int> connect_to_agent(const std::string& socket_path);

// Sends `state` with `fd` attached on `agent`, a socket connect_to_agent
// returned (left open). Errors name `socket_path` and the step.
Expected<void> send_to_agent(int agent, const std::string& socket_path, std::string_view state, int fd);

}  // namespace sysfence::run
