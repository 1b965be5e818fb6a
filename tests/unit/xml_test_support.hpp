// Helpers shared by the XML codec and imps tool tests: the corpus file list and file reading.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace onesoup::test {

// The CSP 1.1 spec examples (ONESOUP_CORPUS_DIR), sorted by name.
inline std::vector<std::filesystem::path> csp11_corpus() {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(ONESOUP_CORPUS_DIR))
        if (entry.path().extension() == ".xml") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace onesoup::test
