// A daemon-style program that confines itself at startup with the sysfence
// C++ API: it compiles a profile for the machine it runs on (the built-in
// default, or the file given as its argument), shows the warnings, proves
// the filter and installs it on every thread before serving.
//
// Build (README.md in this folder):
//   g++ -O2 -o daemon daemon.cc $(pkg-config --cflags --libs sysfence)
#include <unistd.h>

#include <cstdio>
#include <string>

#include "sysfence/sysfence.h"

namespace {

sysfence::api::Result<sysfence::api::Profile> load(int argc, char** argv) {
  if (argc > 1) return sysfence::api::Profile::from_file(argv[1]);
  return sysfence::api::Profile::builtin_default();
}

// The daemon's work, here a heartbeat; what it may do is the profile's call.
void serve() {
  for (int beat = 0; beat < 3; ++beat) {
    std::printf("daemon %d: heartbeat %d\n", static_cast<int>(getpid()), beat);
    std::fflush(stdout);
    sleep(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto profile = load(argc, argv);
  if (!profile) {
    std::fprintf(stderr, "daemon: %s\n", profile.error().message.c_str());
    return 2;
  }
  // The target is this machine: the native ABI, Docker's default
  // capabilities and the running kernel.
  auto filter = sysfence::api::compile(*profile);
  if (!filter) {
    std::fprintf(stderr, "daemon: %s\n", filter.error().message.c_str());
    return 2;
  }
  for (const std::string& warning : filter->warnings()) std::fprintf(stderr, "%s\n", warning.c_str());
  sysfence::api::InstallOptions install;
  install.all_threads = true;  // every thread the libraries above may have started
  if (auto installed = filter->install(install); !installed) {
    std::fprintf(stderr, "daemon: %s\n", installed.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "daemon: %s filter of %zu instructions installed (%s)\n", filter->native_arch().c_str(),
               filter->size(), filter->proof_summary().c_str());
  serve();
  return 0;
}
