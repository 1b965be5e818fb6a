// StoreWorker: runs blocking storage calls on a thread of its own and hands the results back
// to the event loop, so nothing blocks the loop (architecture rule: storage off the loop).
#pragma once

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace onesoup::store {

class StoreWorker {
  public:
    // Results are posted to `loop`.
    explicit StoreWorker(boost::asio::io_context& loop);
    // Finishes the jobs already queued, then stops the thread.
    ~StoreWorker();
    StoreWorker(const StoreWorker&) = delete;
    StoreWorker& operator=(const StoreWorker&) = delete;

    // Runs `job` on the worker thread, then `done(result)` on the loop. `job` and `done` may
    // be move-only (a Result, a unique_ptr, a callback holding one). After the worker was
    // destroyed, jobs still waiting are run first; `done` runs only if the loop still runs.
    template <typename Job, typename Done>
    void run(Job job, Done done) {
        enqueue(make_task([&loop = loop_, job = std::move(job), done = std::move(done)]() mutable {
            auto result = job();
            boost::asio::post(loop, [done = std::move(done), result = std::move(result)]() mutable {
                done(std::move(result));
            });
        }));
    }

  private:
    // A queued job: a move-only callable (std::function needs copyable targets).
    struct Task {
        virtual ~Task() = default;
        virtual void operator()() = 0;
    };
    template <typename F>
    struct TaskOf final : Task {
        explicit TaskOf(F f) : f_(std::move(f)) {}
        void operator()() override { f_(); }
        F f_;
    };
    template <typename F>
    static std::unique_ptr<Task> make_task(F f) {
        return std::make_unique<TaskOf<F>>(std::move(f));
    }

    void enqueue(std::unique_ptr<Task> task);
    void loop();

    boost::asio::io_context& loop_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::unique_ptr<Task>> tasks_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace onesoup::store
