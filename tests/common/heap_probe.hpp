// For the tests that measure memory per connection: the process's heap in use, and a raised
// limit on open files (each test client is a raw socket: no heap of its own).
#pragma once

#include <malloc.h>
#include <sys/resource.h>

#include <cstddef>

// GCC defines __SANITIZE_ADDRESS__ under ASan; clang 14 tells only through __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define ONESOUP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ONESOUP_TEST_ASAN 1
#endif
#endif

#if defined(ONESOUP_TEST_ASAN)
// Declared here rather than included: GCC on Debian ships no <sanitizer/*.h> headers (only
// clang's runtime package does), but libasan exports this function.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace onesoup::test {

// Heap bytes in use in the whole process (all malloc arenas; ASan's own count under ASan).
inline std::size_t heap_in_use() {
#if defined(ONESOUP_TEST_ASAN)
    return __sanitizer_get_current_allocated_bytes();
#else
    const auto info = mallinfo2();
    return info.uordblks + info.hblkhd;
#endif
}

// Raises the soft limit on open files to the hard one if it is below `needed`; true if the
// limit is now at least `needed`.
inline bool enough_descriptors(rlim_t needed) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < needed && limit.rlim_max > limit.rlim_cur) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur >= needed;
}

}  // namespace onesoup::test
