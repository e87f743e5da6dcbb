/* The one callgrind client request the counting process issues, callable through ctypes.
 *
 * The request is a magic instruction sequence that only valgrind interprets; run natively it
 * does nothing. perfcodegen compiles this file once per user (keyed by its hash) with
 * `cc -shared -fPIC` and loads it in the instruction-counting process, whose start-up runs
 * uninstrumented (`--instr-atstart=no`) until the trusted prelude starts the count here. The
 * count then runs to the end of the process and is written by callgrind when it exits. No
 * request that zeroes, stops, toggles or dumps the count is compiled in: a candidate that
 * wants one must bring its own machine code (docs/judge.md, "Instruction counting").
 */
#include <valgrind/callgrind.h>

int pcg_running_on_valgrind(void) { return (int)RUNNING_ON_VALGRIND; }

void pcg_start_instrumentation(void) { CALLGRIND_START_INSTRUMENTATION; }
