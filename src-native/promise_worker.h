// Reading off the main thread: `work` runs on the libuv pool and makes no
// Node-API call; `to_js` turns its result into the promise's value (or, by
// throwing, its rejection) back on the main thread.
#pragma once

#include <napi.h>

#include <functional>
#include <utility>

namespace utmpx_addon {

template <typename Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using ToJs = Napi::Value (*)(Napi::Env, const Result&);

  PromiseWorker(Napi::Env env, const char* name, std::function<Result()> work, ToJs to_js)
      : Napi::AsyncWorker(env, name), work_(std::move(work)), to_js_(to_js), deferred_(env) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { result_ = work_(); }

  void OnOK() override {
    try {
      deferred_.Resolve(to_js_(Env(), result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

 private:
  std::function<Result()> work_;
  ToJs to_js_;
  Napi::Promise::Deferred deferred_;
  Result result_;
};

// Queues `work` and returns the promise of `to_js` of its result. `name`
// names the work for async_hooks.
template <typename Result>
Napi::Value QueuePromise(Napi::Env env, const char* name, std::function<Result()> work,
                         typename PromiseWorker<Result>::ToJs to_js) {
  auto* worker = new PromiseWorker<Result>(env, name, std::move(work), to_js);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace utmpx_addon
