"""Forwards rules_cc's public macros to Bazel's native C++ rules.

Debian's bazel-rules-cc is newer than bazel-bootstrap 4.2.3 understands, so the
workspace maps @rules_cc to this shim instead.
"""

def cc_library(**kwargs):
    native.cc_library(**kwargs)

def cc_binary(**kwargs):
    native.cc_binary(**kwargs)

def cc_test(**kwargs):
    native.cc_test(**kwargs)

def cc_import(**kwargs):
    native.cc_import(**kwargs)

def cc_toolchain(**kwargs):
    native.cc_toolchain(**kwargs)

def cc_toolchain_suite(**kwargs):
    native.cc_toolchain_suite(**kwargs)
