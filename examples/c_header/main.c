/* A C program that installs a filter compiled ahead of time by
 * `sysfence compile --format c`: the header holds the program as a
 * struct sock_filter array and an installer, sysfence_install_NAME(), so
 * the program needs neither sysfence nor libseccomp at run time.
 *
 * Build (README.md in this folder):
 *   sysfence compile default --format c --name sysfence_default -o filter.h
 *   cc -std=c11 -Wall -Wextra -o sandboxed main.c
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "filter.h"

int main(void) {
  /* Everything the program needs from the unrestricted world first (files,
   * sockets), then the filter: it can never be removed again. */
  int rc = sysfence_install_default();
  if (rc < 0) {
    fprintf(stderr, "installing the seccomp filter failed: %s\n", strerror(-rc));
    return 1;
  }
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == NULL) {
    fprintf(stderr, "getcwd: %s\n", strerror(errno));
    return 1;
  }
  printf("running under Docker's default seccomp profile in %s\n", cwd);
  return 0;
}
