#ifndef KVB_CORE_UTIL_INPUT_ERROR_H_
#define KVB_CORE_UTIL_INPUT_ERROR_H_

#include <stdexcept>
#include <string>

namespace kvb {

// Bad input (a trace, a config, a flag value). what() is one line that says where:
// "FILE:LINE: FIELD: problem" for traces, "path.to.field: problem" for configs.
// Callers report it and exit with status 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace kvb

#endif  // KVB_CORE_UTIL_INPUT_ERROR_H_
