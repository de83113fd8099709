#pragma once
// A nesting limit for TOML text, checked before the parser sees it: toml++ follows dotted
// keys and nested values by recursion, so a key of tens of thousands of parts overflows the
// stack. Serves scenario files, --set overrides and compare configs alike.
#include <cstddef>
#include <string>
#include <string_view>

namespace ransim {

// Most dotted-key parts ("a.b.c" has 3) and most open brackets ([ or {) at any point.
// Real scenarios use fewer than 10 of either.
inline constexpr std::size_t kMaxTomlNesting = 128;

// Throws InputError "WHERE:line:col: ..." (just "WHERE: ..." when with_position is false,
// e.g. for a --set flag) when `text` nests deeper than kMaxTomlNesting.
void check_toml_nesting(std::string_view text, const std::string& where, bool with_position = true);

// `s` whole when short, else its start and how long it was (for echoing bad values).
std::string shorten(std::string_view s, std::size_t keep = 80);

}  // namespace ransim
