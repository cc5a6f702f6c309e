// sleep_then_exec OUT CMD [ARGS...]: installs a filter that answers
// restart_syscall with ERRNO(EACCES) (everything else ALLOW), sleeps 5 s in
// nanosleep, writes the sleep's return value (0 or -errno) to the file OUT,
// then execs CMD under the filter: what `dump -- CMD` follows and reads.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <ctime>

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  sock_filter insns[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_restart_syscall, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{sizeof insns / sizeof insns[0], insns};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 3;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return 4;
  timespec t{5, 0};
  const long r = syscall(SYS_nanosleep, &t, nullptr) == 0 ? 0 : -errno;
  FILE* out = std::fopen(argv[1], "w");
  if (out == nullptr) return 5;
  std::fprintf(out, "%ld\n", r);
  std::fclose(out);
  execv(argv[2], argv + 2);
  return 127;
}
