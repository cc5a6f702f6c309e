// The program the `record --pid` tests attach to while it runs:
//
//   attach_subject STOPFILE [ITERATIONS|-] [i386|leader-exits|leader-exits-later]
//
// Prints "ready" once its thread runs, then loops (every 5 ms) until
// STOPFILE exists or ITERATIONS rounds are done ("-": no limit), and exits
// with status 7. With "leader-exits" the main thread ends (a zombie until
// the process ends) right after "ready" ("-later": 200 ms after), and the
// second thread alone runs on until STOPFILE exists.
// Each round makes marker calls that nothing else in the process makes, one
// per place a recorder must see:
//   main thread      sysinfo, and with "i386" getpid through int $0x80 (i386 nr 20)
//   second thread    getpriority (its own loop)
//   forked child     getpgrp, then _exit(0)
// and SIGUSR1's handler calls getsid(0): seen only when the signal was
// delivered to the program while it was traced.
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>

#include "test/bpf/kernel_child.h"

namespace {

std::atomic<bool> stopping{false};

void on_usr1(int) { syscall(SYS_getsid, 0); }

void pause_a_little() {
  const timespec t{0, 5'000'000};
  nanosleep(&t, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: attach_subject STOPFILE [ITERATIONS|-] [i386|leader-exits[-later]]\n");
    return 2;
  }
  const long rounds = argc > 2 && std::strcmp(argv[2], "-") != 0 ? std::atol(argv[2]) : -1;
  const std::string variant = argc > 3 ? argv[3] : "";
  [[maybe_unused]] const bool i386 = variant == "i386";
  const bool leader_exits = variant.starts_with("leader-exits");
  struct sigaction sa {};
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, nullptr);
  std::atomic<bool> thread_started{false};
  std::thread t([&] {
    thread_started = true;
    while (!stopping) {
      if (leader_exits && access(argv[1], F_OK) == 0) _exit(7);
      syscall(SYS_getpriority, PRIO_PROCESS, 0);
      pause_a_little();
    }
  });
  while (!thread_started) pause_a_little();
  std::printf("ready\n");
  std::fflush(stdout);
  if (variant == "leader-exits-later") {
    const timespec t{0, 200'000'000};
    nanosleep(&t, nullptr);
  }
  if (leader_exits) syscall(SYS_exit, 0);  // this thread only
  for (long i = 0; rounds < 0 || i < rounds; ++i) {
    if (access(argv[1], F_OK) == 0) break;
    syscall(SYS_sysinfo, nullptr);
#if defined(__x86_64__)
    if (i386 && sysfence::bpf::testing::int80(20, 0, 0, 0) != getpid()) return 4;
#endif
    const pid_t child = fork();
    if (child == 0) {
      syscall(SYS_getpgrp);
      _exit(0);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 3;
    pause_a_little();
  }
  stopping = true;
  t.join();
  return 7;
}
