#include "test/live/filtered_child.h"

#include <linux/capability.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

namespace sysfence::live::testing {

namespace {

int install(const TestFilter& f) {
  sock_fprog prog{static_cast<unsigned short>(f.insns.size()), const_cast<sock_filter*>(f.insns.data())};
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f.flags, &prog));
}

void write_all(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    const ssize_t w = write(fd, c, n);
    if (w <= 0) _exit(3);
    c += w;
    n -= static_cast<size_t>(w);
  }
}

void* blocked_thread(void* arg) {
  *static_cast<pid_t*>(arg) = static_cast<pid_t>(syscall(SYS_gettid));
  for (;;) pause();
  return nullptr;
}

[[noreturn]] void child_main(const std::vector<TestFilter>& filters, bool strict, int in, int out) {
  pid_t tid = 0;
  if (!filters.empty()) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(4);
    pthread_t t;
    if (pthread_create(&t, nullptr, blocked_thread, &tid) != 0) _exit(5);
    while (__atomic_load_n(&tid, __ATOMIC_SEQ_CST) == 0) usleep(1000);
    for (const TestFilter& f : filters) {
      if (install(f) != 0) _exit(6);
    }
  }
  int32_t report = tid;
  write_all(out, &report, sizeof report);
  if (strict && prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0) _exit(7);
  // Strict mode allows read and write only: answer with those.
  char c;
  while (read(in, &c, 1) == 1) write_all(out, &c, 1);
  syscall(SYS_exit, 0);
  _exit(0);
}

}  // namespace

std::vector<TestFilter> three_filters() {
  const unsigned allow = SECCOMP_RET_ALLOW;
  return {
      // nr == 0xfffe (no syscall) -> ERRNO(1), else ALLOW; with TSYNC.
      {{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xfffe, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1), BPF_STMT(BPF_RET | BPF_K, allow)},
       SECCOMP_FILTER_FLAG_TSYNC},
      {{BPF_STMT(BPF_RET | BPF_K, allow)}, SECCOMP_FILTER_FLAG_LOG},
      {{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4), BPF_STMT(BPF_RET | BPF_K, allow)}, 0},
  };
}

std::string raw_bytes(const TestFilter& f) {
  return std::string(reinterpret_cast<const char*>(f.insns.data()), f.insns.size() * sizeof(sock_filter));
}

FilteredChild::FilteredChild(const std::vector<TestFilter>& filters, bool strict) {
  int down[2];
  int up[2];
  if (pipe(down) != 0 || pipe(up) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    close(down[1]);
    close(up[0]);
    child_main(filters, strict, down[0], up[1]);
  }
  close(down[0]);
  close(up[1]);
  to_child_ = down[1];
  from_child_ = up[0];
  int32_t tid = 0;
  ready_ = pid_ > 0 && read(from_child_, &tid, sizeof tid) == sizeof tid;
  thread_tid_ = tid;
}

FilteredChild::~FilteredChild() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, __WALL);
  }
  close(to_child_);
  close(from_child_);
}

bool FilteredChild::answers() {
  const char c = 'x';
  if (write(to_child_, &c, 1) != 1) return false;
  pollfd p{from_child_, POLLIN, 0};
  if (poll(&p, 1, 3000) != 1) return false;
  char got = 0;
  return read(from_child_, &got, 1) == 1 && got == c;
}

std::string in_child(void (*prepare)(), std::string (*body)(pid_t), pid_t target) {
  int up[2];
  if (pipe(up) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(up[0]);
    if (prepare != nullptr) prepare();
    const std::string s = body(target);
    write_all(up[1], s.data(), s.size());
    _exit(0);
  }
  close(up[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(up[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(up[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) out += " [child failed]";
  return out;
}

void drop_cap_sys_admin() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) _exit(10);
  data[0].effective &= ~(1U << CAP_SYS_ADMIN);
  data[0].permitted &= ~(1U << CAP_SYS_ADMIN);
  data[0].inheritable &= ~(1U << CAP_SYS_ADMIN);
  if (syscall(SYS_capset, &header, data) != 0) _exit(11);
}

void drop_cap_sys_admin_for_exec() {
  if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) != 0) _exit(12);
  drop_cap_sys_admin();
}

void install_allow_all_filter() {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(13);
  if (install({{BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}, 0}) != 0) _exit(14);
}

}  // namespace sysfence::live::testing
