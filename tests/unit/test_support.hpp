// Helpers shared by the unit tests: listing the test documents and reading files.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace onesoup::test {

// The *.xml files of a folder, sorted by name.
inline std::vector<std::filesystem::path> xml_files(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (entry.path().extension() == ".xml") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

// The CSP 1.1 spec examples (ONESOUP_CORPUS_DIR), sorted by name.
inline std::vector<std::filesystem::path> csp11_corpus() { return xml_files(ONESOUP_CORPUS_DIR); }

// The hand-written golden documents (tests/data/golden/*.xml), sorted by name.
inline std::vector<std::filesystem::path> golden_xml_files() {
    return xml_files(std::filesystem::path(ONESOUP_TEST_DATA_DIR) / "golden");
}

// The whole file as bytes (empty if it cannot be read).
inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace onesoup::test
