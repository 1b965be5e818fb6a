// Builds an element tree from start/end events with one exactly sized allocation per child list.
// Private to the codec module (shared by the XML and WBXML readers).
#pragma once

#include <cstddef>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

#include "onesoup/imps/codec/element.hpp"

namespace onesoup::imps::codec::detail {

// Elements are built in one flat vector: each open element is followed by its finished children.
// When an element ends, its children move into a vector of exactly their number, so a child list
// is allocated once instead of growing (and moving every element) 1, 2, 4, 8... times.
// References returned by open(), current() and parent() stay valid only until the next open().
class TreeAssembler {
  public:
    TreeAssembler() {
        nodes_.reserve(16);
        open_.reserve(16);
    }

    // Opens an element as a child of the current one (or as the root) and returns it.
    Element& open(std::string_view name) {
        open_.push_back(nodes_.size());
        Element& e = nodes_.emplace_back();
        e.name.assign(name);
        return e;
    }

    // The innermost open element; depth() must be above 0.
    [[nodiscard]] Element& current() { return nodes_[open_.back()]; }
    // The parent of the innermost open element; depth() must be above 1.
    [[nodiscard]] Element& parent() { return nodes_[open_[open_.size() - 2]]; }
    // Number of open elements.
    [[nodiscard]] std::size_t depth() const { return open_.size(); }
    // True once an element was opened (the root exists).
    [[nodiscard]] bool has_root() const { return !nodes_.empty(); }

    // Closes the innermost open element: its finished children move into its child list.
    void close() {
        const std::size_t at = open_.back();
        open_.pop_back();
        const std::size_t first_child = at + 1;
        if (first_child < nodes_.size()) {
            auto& children = nodes_[at].children;
            children.reserve(children.size() + (nodes_.size() - first_child));
            const auto begin = nodes_.begin() + static_cast<std::ptrdiff_t>(first_child);
            children.insert(children.end(), std::make_move_iterator(begin),
                            std::make_move_iterator(nodes_.end()));
            nodes_.erase(begin, nodes_.end());
        }
    }

    // The root, once every element is closed.
    [[nodiscard]] Element take_root() { return std::move(nodes_.front()); }

  private:
    std::vector<Element> nodes_;
    std::vector<std::size_t> open_;  // indices in nodes_ of the open elements, outermost first
};

}  // namespace onesoup::imps::codec::detail
