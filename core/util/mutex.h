#ifndef KVB_CORE_UTIL_MUTEX_H_
#define KVB_CORE_UTIL_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace kvb {

// An exclusive lock (std::mutex, i.e. pthread_mutex) that is a thread-safety capability:
// members marked ABSL_GUARDED_BY(mu) are checked by clang's -Wthread-safety (the
// KVB_THREAD_SAFETY_ANALYSIS build), which a bare std::mutex is not (libstdc++ does not
// annotate it). Not absl::Mutex: Debian's abseil is not built with TSan, so TSan cannot see
// its happens-before edges (it reports false races), and it runs deadlock detection on
// every acquisition by default.
class ABSL_LOCKABLE Mutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds `*mu` for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }

 private:
  Mutex* const mu_;
};

// A Mutex its owner may switch off before any use, when one thread alone will use what it
// guards: Lock and Unlock then cost a branch. The analysis checks users as for a Mutex.
class ABSL_LOCKABLE OptionalMutex {
 public:
  void Disable() { enabled_ = false; }
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    if (enabled_) mu_.lock();
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    if (enabled_) mu_.unlock();
  }

 private:
  std::mutex mu_;
  bool enabled_ = true;
};

// Holds `*mu` for its scope.
class ABSL_SCOPED_LOCKABLE OptionalMutexLock {
 public:
  explicit OptionalMutexLock(OptionalMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  OptionalMutexLock(const OptionalMutexLock&) = delete;
  OptionalMutexLock& operator=(const OptionalMutexLock&) = delete;
  ~OptionalMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }

 private:
  OptionalMutex* const mu_;
};

// A condition variable for Mutex. Wait it in a loop over the condition, which the caller
// reads under the lock (so the analysis checks it):
//   while (!ready_) changed_.Wait(&mu_);
class CondVar {
 public:
  // Releases `*mu` while blocked; holds it again on return (also on a spurious wakeup).
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(*mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // still locked: the caller's lock
  }
  // As Wait, returning by `deadline` at the latest.
  template <typename Clock, typename Duration>
  void WaitUntil(Mutex* mu, std::chrono::time_point<Clock, Duration> deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(*mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait_until(lock, deadline);
    lock.release();
  }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace kvb

#endif  // KVB_CORE_UTIL_MUTEX_H_
