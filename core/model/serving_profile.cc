#include "core/model/serving_profile.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"

namespace kvb {

uint64_t KvCapacityBlocks(const ServingProfile& s, uint32_t gpus, uint64_t kv_bytes_per_token) {
  const double free_bytes =
      static_cast<double>(gpus) * s.hbm_bytes_per_gpu - s.weight_bytes - s.activation_reserve_bytes;
  const double block_bytes =
      static_cast<double>(s.kv_block_tokens) * static_cast<double>(kv_bytes_per_token);
  if (!(free_bytes > 0) || !(block_bytes > 0)) return 0;
  // Clamped before the conversion (a double past 2^64 does not convert); validation
  // refuses anything above kMaxKvCapacityBlocks.
  return static_cast<uint64_t>(std::min(std::floor(free_bytes / block_bytes),
                                        static_cast<double>(kMaxKvCapacityBlocks + 1)));
}

void ValidateServingProfile(const ServingProfile& s, uint32_t gpus, uint64_t kv_bytes_per_token) {
  auto fail = [](const char* field, const std::string& why) {
    throw InputError(absl::StrCat("serving.", field, ": ", why));
  };
  if (!(s.hbm_bytes_per_gpu > 0) || !std::isfinite(s.hbm_bytes_per_gpu)) {
    fail("hbm_bytes_per_gpu", absl::StrCat("must be > 0, got ", s.hbm_bytes_per_gpu));
  }
  if (!(s.weight_bytes >= 0) || !std::isfinite(s.weight_bytes)) {
    fail("weight_bytes", absl::StrCat("must be >= 0, got ", s.weight_bytes));
  }
  if (!(s.activation_reserve_bytes >= 0) || !std::isfinite(s.activation_reserve_bytes)) {
    fail("activation_reserve_bytes",
         absl::StrCat("must be >= 0, got ", s.activation_reserve_bytes));
  }
  if (s.kv_block_tokens == 0) fail("kv_block_tokens", "must be >= 1");
  if (s.max_num_batched_tokens == 0) fail("max_num_batched_tokens", "must be >= 1");
  if (s.max_num_seqs == 0) fail("max_num_seqs", "must be >= 1");
  if (s.step_model.empty()) fail("step_model.name", "must not be empty");
  const uint64_t blocks = KvCapacityBlocks(s, gpus, kv_bytes_per_token);
  if (blocks > kMaxKvCapacityBlocks) {
    fail("hbm_bytes_per_gpu", absl::StrCat("leaves more than 2^40 KV blocks (", gpus, " GPUs x ",
                                           s.hbm_bytes_per_gpu, " B): not a real node"));
  }
  if (blocks == 0) {
    fail("hbm_bytes_per_gpu",
         absl::StrCat("no room for one KV block: ", gpus, " GPUs x ", s.hbm_bytes_per_gpu,
                      " B - weights ", s.weight_bytes, " B - reserve ", s.activation_reserve_bytes,
                      " B < ", s.kv_block_tokens, " tokens x ", kv_bytes_per_token, " B"));
  }
}

}  // namespace kvb
