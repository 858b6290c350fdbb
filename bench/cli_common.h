#ifndef KVB_BENCH_CLI_COMMON_H_
#define KVB_BENCH_CLI_COMMON_H_

// What kvbench and kvbench-trace share on the command line: their exit codes and the
// exception for a usage mistake.

#include <stdexcept>
#include <string>

namespace kvb {

inline constexpr int kExitOk = 0;
// A failure that is not the user's input: cells failed, a file could not be written.
inline constexpr int kExitFailure = 1;
// A usage mistake or bad input (flags, config, trace), reported before any work is done.
inline constexpr int kExitUsage = 2;

// The exit code of a run stopped by `signal` (SIGINT: 130), as a shell reports it.
int ExitCodeForSignal(int signal);

// A usage mistake (a flag, its value, a missing argument): the program prints the message
// with a hint to its --help and exits with kExitUsage.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& message);
};

}  // namespace kvb

#endif  // KVB_BENCH_CLI_COMMON_H_
