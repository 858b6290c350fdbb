#include "bench/cli_common.h"

namespace kvb {

int ExitCodeForSignal(int signal) { return 128 + signal; }

UsageError::UsageError(const std::string& message) : std::runtime_error(message) {}

}  // namespace kvb
