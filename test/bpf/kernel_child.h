// Support for tests that need the real kernel: a filter can never be removed,
// so every filter is installed in a forked child, which reports through
// MAP_SHARED memory set up before the fork and may die in any way (the kill
// actions, or an exit the filter denies) without affecting the test.
#pragma once

#include <sys/mman.h>

#include <array>
#include <cstdint>
#include <functional>
#include <new>
#include <string>

namespace sysfence::bpf::testing {

// A T in anonymous shared memory: writes by a forked child are visible to the
// parent. T should hold only trivially copyable data or std::atomic fields.
template <typename T>
class Shared {
 public:
  Shared() {
    void* p = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    ptr_ = new (p) T();
  }
  ~Shared() {
    ptr_->~T();
    munmap(ptr_, sizeof(T));
  }
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;

  // Re-initialises the value (between children).
  void reset() {
    ptr_->~T();
    ptr_ = new (ptr_) T();
  }
  T* operator->() { return ptr_; }
  T& operator*() { return *ptr_; }

 private:
  T* ptr_ = nullptr;
};

struct ChildStatus {
  bool timed_out = false;
  bool exited = false;
  int exit_code = 0;
  bool signaled = false;
  int signal = 0;

  std::string describe() const;
};

// Forks; the child calls disable_core_dumps(), runs `body` and exits with
// status 0 when it returns. The parent waits at most `timeout_ms`, then
// SIGKILLs the child; either way the child is reaped.
ChildStatus run_in_child(const std::function<void()>& body, int timeout_ms = 20000);

// The same with a child that shares the test's address space
// (clone(CLONE_VM)): no page tables are copied, so it starts ~100x faster than
// fork() on this VM (0.1 ms vs 10 ms), which is what makes thousands of
// kernel round trips per test affordable. It is still a separate process:
// seccomp filters, no_new_privs and signal dispositions belong to the child
// alone, so the test process never carries a filter. Restrictions for `body`:
// no heap allocation, no threads, nothing that takes libc locks (the parent's
// libc state is shared); report through memory, end by returning.
// Because SIGSYS kills of such a child would dump core through the shared mm,
// the (shared) mm is marked non-dumpable first: this also makes the test
// process itself non-dumpable.
ChildStatus run_in_light_child(const std::function<void()>& body, int timeout_ms = 20000);

// A child killed by SIGSYS would dump core into the working directory
// (core_pattern "core"): make it non-dumpable and limit cores to 0 bytes.
void disable_core_dumps();

// Ends the process without a system call (ud2 -> SIGILL), for children whose
// filter may deny or kill exit_group.
[[noreturn]] void die_without_syscall();

// True in AddressSanitizer / UBSan builds (bazel test --config=asan). The
// sanitizer runtime makes system calls of its own (signal and longjmp
// interceptors read /proc, ...) which random filters deny or kill, and it
// cannot follow a clone(CLONE_VM) child onto its own stack; the differential
// tests skip themselves there (the interpreter's memory safety is covered by
// the unit tests, which do run under the sanitizers).
constexpr bool running_under_sanitizer() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

// A system call made with an inline `syscall` instruction at a fixed address,
// touching no libc state (so it is safe after any filter is installed).
// Returns the raw result (-errno on failure).
long raw_syscall(uint32_t nr, const std::array<uint64_t, 6>& args);

// seccomp_data.instruction_pointer for raw_syscall's calls (the address after
// its `syscall` instruction), identical in forked children; 0 when unknown.
uint64_t raw_syscall_ip();

#if defined(__x86_64__)
// int $0x80 from 64-bit code: the i386 table, nr in eax and the six
// arguments in ebx, ecx, edx, esi, edi, ebp as full 64-bit registers (what
// seccomp_data shows the filter; the kernel reads their low 32 bits, so
// pointers must lie below 4 GiB). Returns the raw result (-errno on failure).
long int80(uint32_t nr, const std::array<uint64_t, 6>& args);
// The same with the last three arguments 0.
long int80(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2);

// Whether int $0x80 reaches the i386 table here (IA32 emulation built in and
// enabled), tried in a forked child.
bool int80_available();
#endif

}  // namespace sysfence::bpf::testing
