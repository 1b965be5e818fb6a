// StoreWorker: runs blocking storage calls on a thread of its own and hands the results back
// to the event loop, so nothing blocks the loop (architecture rule: storage off the loop).
#pragma once

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
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

    // Runs `job` on the worker thread, then `done(result)` on the loop.
    template <typename Job, typename Done>
    void run(Job job, Done done) {
        enqueue([this, job = std::move(job), done = std::move(done)]() mutable {
            auto result = job();
            boost::asio::post(loop_, [done = std::move(done), result = std::move(result)]() mutable {
                done(std::move(result));
            });
        });
    }

  private:
    void enqueue(std::function<void()> task);
    void loop();

    boost::asio::io_context& loop_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace onesoup::store
