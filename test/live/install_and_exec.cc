// install_and_exec [--log] CMD [ARGS...]: installs one filter (a fixed
// three-instruction program, with SECCOMP_FILTER_FLAG_LOG when asked) and
// execs CMD, as a container runtime does. The program's bytes are printed
// by `install_and_exec --print` for the tests to compare with.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  sock_filter insns[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xfffd, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 2),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  int arg = 1;
  if (arg < argc && std::strcmp(argv[arg], "--print") == 0) {
    fwrite(insns, sizeof insns, 1, stdout);
    return 0;
  }
  unsigned flags = 0;
  if (arg < argc && std::strcmp(argv[arg], "--log") == 0) {
    flags = SECCOMP_FILTER_FLAG_LOG;
    ++arg;
  }
  sock_fprog prog{sizeof insns / sizeof insns[0], insns};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) != 0) {
    perror("install_and_exec: seccomp");
    return 125;
  }
  if (arg >= argc) return 0;
  execvp(argv[arg], argv + arg);
  perror("install_and_exec: execvp");
  return 127;
}
