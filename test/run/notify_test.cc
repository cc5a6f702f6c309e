// Profiles with SCMP_ACT_NOTIFY and listenerPath: sysfence hands the
// listener to the agent at listenerPath with the OCI container process state
// (runtime-spec "The Container Process State"), and the agent answers the
// command's notified calls. The agent here is a thread of the test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "test/run/spawn.h"

namespace sysfence::run::testing {
namespace {

struct AgentResult {
  std::string state;      // the JSON received
  int fds = 0;            // descriptors received with it
  bool answered = false;  // a notification was received and answered
  int notified_nr = -1;
  uint32_t notified_pid = 0;
};

// Accepts one connection, takes the state and the listener, and answers
// the first notification with `value`.
AgentResult serve_once(int server, long value) {
  AgentResult r;
  const int conn = accept(server, nullptr, nullptr);
  if (conn < 0) return r;
  char buf[65536];
  iovec iov{buf, sizeof buf};
  alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  int listener = -1;
  for (cmsghdr* h = CMSG_FIRSTHDR(&msg); h != nullptr; h = CMSG_NXTHDR(&msg, h)) {
    if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
    r.fds += static_cast<int>((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    std::memcpy(&listener, CMSG_DATA(h), sizeof(int));
  }
  // The payload may follow in more pieces: read until the sender closes.
  if (n > 0) r.state.assign(buf, static_cast<size_t>(n));
  for (;;) {
    const ssize_t more = read(conn, buf, sizeof buf);
    if (more <= 0) break;
    r.state.append(buf, static_cast<size_t>(more));
  }
  close(conn);
  if (listener < 0) return r;
  pollfd p{listener, POLLIN, 0};
  if (poll(&p, 1, 30000) == 1 && (p.revents & POLLIN)) {
    seccomp_notif req;
    std::memset(&req, 0, sizeof req);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
      r.notified_nr = req.data.nr;
      r.notified_pid = req.pid;
      seccomp_notif_resp resp{};
      resp.id = req.id;
      resp.val = value;
      r.answered = ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0;
    }
  }
  close(listener);
  return r;
}

int listen_at(const std::string& path) {
  unlink(path.c_str());
  const int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return -1;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(s, 4) != 0) return -1;
  return s;
}

std::string notify_profile(const std::string& socket_path) {
  std::string path = tmp_path("notify.json");
  write_file(path, R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "listenerPath": ")" + socket_path +
                       R"(",
  "listenerMetadata": "agent-metadata-123",
  "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]
})");
  return path;
}

TEST(Notify, AgentGetsStateAndListenerAndAnswers) {
  // Under --config=asan, LeakSanitizer's exit-time check in the client calls
  // getppid(2), which this profile hands to the one-shot agent: hang. Skip it.
  ::setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
  const std::string sock = socket_path("agent.sock");
  const int server = listen_at(sock);
  ASSERT_GE(server, 0);
  AgentResult agent;
  std::thread t([&] { agent = serve_once(server, 4242); });
  const Outcome o =
      sysfence_run({"--profile", notify_profile(sock), "--", client_binary(), "pid", "raw:110", "exit:6"});
  shutdown(server, SHUT_RDWR);  // unblocks the agent if sysfence never connected
  t.join();
  close(server);

  EXPECT_EQ(o.code(), 6) << o.describe();
  // The agent's answer is what the call returned.
  const std::string pid_line = o.out.substr(0, o.out.find('\n'));
  ASSERT_EQ(pid_line.rfind("pid = ", 0), 0u) << o.describe();
  const long pid = std::stol(pid_line.substr(6));
  EXPECT_EQ(o.out, pid_line + "\nraw = 4242\n");
  EXPECT_TRUE(agent.answered);
  EXPECT_EQ(agent.notified_nr, SYS_getppid);
  EXPECT_EQ(agent.notified_pid, static_cast<uint32_t>(pid));

  // The OCI container process state, one fd with it.
  EXPECT_EQ(agent.fds, 1);
  const boost::json::value doc = boost::json::parse(agent.state);
  const auto& s = doc.as_object();
  EXPECT_EQ(s.at("ociVersion").as_string(), "1.0.2");
  ASSERT_EQ(s.at("fds").as_array().size(), 1u);
  EXPECT_EQ(s.at("fds").as_array()[0].as_string(), "seccompFd");
  EXPECT_EQ(s.at("pid").as_int64(), pid);
  EXPECT_EQ(s.at("metadata").as_string(), "agent-metadata-123");
  const auto& st = s.at("state").as_object();
  EXPECT_EQ(st.at("ociVersion").as_string(), "1.0.2");
  EXPECT_EQ(st.at("status").as_string(), "creating");
  EXPECT_EQ(st.at("pid").as_int64(), pid);
  EXPECT_EQ(st.at("id").as_string(), "sysfence-" + std::to_string(pid));
  EXPECT_EQ(st.at("bundle").as_string().c_str()[0], '/');
}

// The child waits for the agent without a call under the filter: a profile
// that kills futex (which the client does not call) still runs the command.
TEST(Notify, WaitForTheAgentMakesNoCallUnderTheFilter) {
  ::setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
  const std::string sock = socket_path("agent-futex.sock");
  const int server = listen_at(sock);
  ASSERT_GE(server, 0);
  const std::string profile = tmp_path("notify-futex.json");
  write_file(profile, R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "listenerPath": ")" + sock +
                          R"(",
  "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"},
               {"names": ["futex"], "action": "SCMP_ACT_KILL_PROCESS"}]
})");
  AgentResult agent;
  std::thread t([&] { agent = serve_once(server, 77); });
  const Outcome o = sysfence_run({"--profile", profile, "--", client_binary(), "raw:110", "exit:6"});
  shutdown(server, SHUT_RDWR);
  t.join();
  close(server);
  EXPECT_EQ(o.code(), 6) << o.describe();
  EXPECT_EQ(o.out, "raw = 77\n") << o.describe();
  EXPECT_EQ(agent.notified_nr, SYS_getppid);
}

// The pid of a process whose parent is `parent` and which runs under a
// seccomp filter (/proc/PID/status "Seccomp: 2"), or 0.
pid_t filtered_child_of(pid_t parent) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "status");
    bool child = false;
    bool filtered = false;
    for (std::string line; std::getline(in, line);) {
      child = child || line == "PPid:\t" + std::to_string(parent);
      filtered = filtered || line == "Seccomp:\t2";
    }
    if (child && filtered) return static_cast<pid_t>(std::stol(name));
  }
  return 0;
}

// What happened to the command's process when its sysfence was killed
// while handing the listener to the agent (the helper's exit code).
enum KilledParent { kChildGone = 0, kChildStillWaiting = 1, kChildRanCommand = 2, kSetupFailed = 3 };

// In a process of its own (a subreaper, so that the command's process comes
// back to it): starts sysfence, whose sendmsg of a state larger than the
// socket takes blocks while the agent does not read, kills it there, and
// waits for the process it left.
[[noreturn]] void kill_parent_during_handover(const std::string& profile, int server) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) _exit(kSetupFailed);
  const std::string sysfence = sysfence_binary();
  const std::string client = client_binary();
  const pid_t runner = fork();
  if (runner == 0) {
    const int null = open("/dev/null", O_RDWR);
    dup2(null, 1);
    dup2(null, 2);
    execl(sysfence.c_str(), sysfence.c_str(), "run", "--profile", profile.c_str(), "--", client.c_str(), "exit:6",
          nullptr);
    _exit(kSetupFailed);
  }
  const int conn = accept(server, nullptr, nullptr);  // held open, never read
  if (runner < 0 || conn < 0) _exit(kSetupFailed);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  pid_t child = 0;
  while ((child = filtered_child_of(runner)) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (child == 0) _exit(kSetupFailed);
  kill(runner, SIGKILL);
  waitpid(runner, nullptr, 0);
  // The child spins: 10 s is ample for it to notice.
  for (int i = 0; i < 1000; ++i) {
    int status = 0;
    if (waitpid(child, &status, WNOHANG) == child)
      _exit(WIFEXITED(status) && WEXITSTATUS(status) == 6 ? kChildRanCommand : kChildGone);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  _exit(kChildStillWaiting);
}

// The command's process waits for its agent without a system call; when the
// sysfence that was to hand over the listener is killed first (SIGKILL), it
// neither runs the command nor waits forever.
TEST(Notify, CommandIsNotStartedWhenSysfenceDiesBeforeTheAgentHasTheListener) {
  ::setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
  const std::string sock = socket_path("agent-killed.sock");
  const int server = listen_at(sock);
  ASSERT_GE(server, 0);
  const std::string profile = tmp_path("notify-killed.json");
  // Metadata of 8 MiB: more than a unix socket holds unread.
  write_file(profile, R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "listenerPath": ")" + sock + R"(",
  "listenerMetadata": ")" + std::string(8u << 20, 'm') +
                          R"(",
  "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]
})");
  const pid_t helper = fork();
  if (helper == 0) kill_parent_during_handover(profile, server);
  ASSERT_GT(helper, 0);
  int status = 0;
  ASSERT_EQ(waitpid(helper, &status, 0), helper);
  close(server);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kChildGone) << "0 gone, 1 still waiting, 2 ran the command, 3 setup failed";
}

TEST(Notify, MissingAgentIsSysfencesOwnFailure) {
  const Outcome o =
      sysfence_run({"--profile", notify_profile(socket_path("nobody.sock")), "--", client_binary(), "pid"});
  EXPECT_EQ(o.code(), 125) << o.describe();
  EXPECT_NE(o.err.find("connect"), std::string::npos) << o.err;
  EXPECT_EQ(o.out, "") << "the command must not run without its agent";
}

TEST(Notify, TraceDenialsCannotShareTheListener) {
  const Outcome o = sysfence_run(
      {"--profile", notify_profile(socket_path("x.sock")), "--trace-denials", "--", client_binary(), "pid"});
  EXPECT_EQ(o.code(), 125) << o.describe();
  EXPECT_NE(o.err.find("only one listener"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace sysfence::run::testing
