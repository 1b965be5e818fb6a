// Helpers shared by the phone tests: running a shell command and capturing its output.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace onesoup::test {

struct CommandRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Quotes a string for /bin/sh.
inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// A file in the temporary directory holding `bytes`; removed when it goes out of scope.
class TempFile {
  public:
    explicit TempFile(const std::string& bytes, const std::string& suffix = "") {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "imps_phone_XXXXXX").string() + suffix;
        const int fd = mkstemps(pattern.data(), static_cast<int>(suffix.size()));
        if (fd >= 0) close(fd);
        path_ = pattern;
        std::ofstream(path_, std::ios::binary) << bytes;
    }
    ~TempFile() { std::filesystem::remove(path_); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }

  private:
    std::string path_;
};

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs `command` with /bin/sh, standard input from /dev/null; captures both outputs.
inline CommandRun run_command(const std::string& command) {
    TempFile err_file("");
    // Braces: the redirections apply to the whole pipeline, not to its last command.
    const std::string full =
        "{ " + command + "\n} 2>" + shell_quote(err_file.path()) + " </dev/null";
    CommandRun run;
    FILE* pipe = popen(full.c_str(), "r");
    if (pipe == nullptr) return run;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.err = slurp(err_file.path());
    return run;
}

}  // namespace onesoup::test
