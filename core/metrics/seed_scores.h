#ifndef KVB_CORE_METRICS_SEED_SCORES_H_
#define KVB_CORE_METRICS_SEED_SCORES_H_

namespace kvb {

// The per-cell score the earlier Go simulator prints (docs/SEED_MODEL.md, "Scores printed by
// the seed"): hit_rate / concentration, fractions in [0, 1]; 0 if concentration <= 0 (no
// requests served). Its GPU-weighted net benefit compares rows of a table (against the worst
// hit rate among them), so scripts/tables.py computes it from the cells' counters.
double TraditionalScore(double hit_rate, double concentration);

}  // namespace kvb

#endif  // KVB_CORE_METRICS_SEED_SCORES_H_
