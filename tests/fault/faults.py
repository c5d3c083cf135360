"""The environment variables that load the fault injector (fault_io.c) into
headcount with the given faults, for the script tests that use it."""
import os


def fault_vars(**faults):
    """Variables to add to headcount's environment, or None outside CTest,
    which names the injector in HC_FAULT_LIB (the checks are then
    skipped, with a note)."""
    lib = os.environ.get("HC_FAULT_LIB")
    if not lib:
        print("note: HC_FAULT_LIB unset (CTest sets it): fault checks skipped")
        return None
    # An ASan build wants its runtime first among the loaded libraries.
    asan = os.environ.get("ASAN_OPTIONS")
    return dict(faults, LD_PRELOAD=lib, ASAN_OPTIONS=(
        asan + ":" if asan else "") + "verify_asan_link_order=0")
