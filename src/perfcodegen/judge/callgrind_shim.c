/* Callgrind client requests, callable from Python through ctypes.
 *
 * The requests are magic instruction sequences that only callgrind interprets; run
 * natively they do nothing. perfcodegen compiles this file once per user (keyed by its
 * hash) with `cc -shared -fPIC` and loads it in the instruction-counting runner.
 */
#include <valgrind/callgrind.h>

int pcg_running_on_valgrind(void) { return (int)RUNNING_ON_VALGRIND; }

void pcg_start_instrumentation(void) { CALLGRIND_START_INSTRUMENTATION; }

void pcg_zero_stats(void) { CALLGRIND_ZERO_STATS; }

void pcg_toggle_collect(void) { CALLGRIND_TOGGLE_COLLECT; }

void pcg_dump_stats_at(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
