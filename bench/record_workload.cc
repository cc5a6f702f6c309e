// The workloads of bench/record_bench (recording overhead):
//   record_workload loop N          N getppid calls in one thread
//   record_workload threads T N     T threads making N getppid calls each
// (the fork/exec-heavy workload is a shell loop in the script itself).
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

void calls(long n) {
  for (long i = 0; i < n; ++i) syscall(SYS_getppid);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "loop" && argc == 3) {
    calls(std::atol(argv[2]));
    return 0;
  }
  if (mode == "threads" && argc == 4) {
    const long n = std::atol(argv[3]);
    const int threads = std::atoi(argv[2]);
    std::vector<std::thread> ts;
    ts.reserve(static_cast<size_t>(threads));
    for (int t = 0; t < threads; ++t) ts.emplace_back(calls, n);
    for (auto& t : ts) t.join();
    return 0;
  }
  std::fprintf(stderr, "usage: record_workload loop N | threads T N\n");
  return 2;
}
