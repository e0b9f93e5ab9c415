#pragma once
// Small text helpers for the LHE reader: hand-written, allocation-free where it matters (the
// per-event hot path), std::from_chars for numbers.

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sbi::lhe::text {

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

inline std::string_view trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

inline void skip_space(std::string_view& s) {
  std::size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  s.remove_prefix(i);
}

inline char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

inline bool starts_with_tag(std::string_view trimmed, std::string_view name) {
  // "<name>" or "<name " or "<name/": a tag of exactly this name (not "<initrwgt>" for "init").
  if (trimmed.size() < name.size() + 1 || trimmed[0] != '<') return false;
  if (trimmed.substr(1, name.size()) != name) return false;
  if (trimmed.size() == name.size() + 1) return true;
  const char next = trimmed[name.size() + 1];
  return next == '>' || next == '/' || is_space(next);
}

/// Parses a double at the front of `s` (leading blanks skipped; a leading '+', a Fortran 'D'
/// exponent and ".5" forms accepted) and advances `s`. False when there is no number.
inline bool parse_double(std::string_view& s, double& out) {
  skip_space(s);
  if (s.empty()) return false;
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, out);
  if (ec == std::errc::result_out_of_range) {
    // Denormal or overflowing literal: from_chars leaves `out` untouched; take strtod's answer.
    std::string tmp(begin, static_cast<std::size_t>(ptr - begin));
    out = std::strtod(tmp.c_str(), nullptr);
  } else if (ec != std::errc()) {
    return false;
  }
  if (ptr != end && (*ptr == 'd' || *ptr == 'D')) {
    // Fortran double-precision exponent "1.0D+01": re-parse with 'e'.
    std::size_t n = static_cast<std::size_t>(ptr - begin);
    std::string tmp(begin, n);
    tmp += 'e';
    const char* q = ptr + 1;
    while (q != end && (*q == '+' || *q == '-' || (*q >= '0' && *q <= '9'))) tmp += *q++;
    char* stop = nullptr;
    out = std::strtod(tmp.c_str(), &stop);
    ptr = q;
  }
  if (ptr != end && !is_space(*ptr) && *ptr != '<') return false;  // "1.5abc" is not a number
  s = std::string_view(ptr, static_cast<std::size_t>(end - ptr));
  return true;
}

/// Parses an integer at the front of `s`; also accepts integral values written as decimals
/// ("9.000E+00" in an integer column of some generators).
inline bool parse_int(std::string_view& s, int& out) {
  skip_space(s);
  if (s.empty()) return false;
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, out);
  if (ec == std::errc() && (ptr == end || is_space(*ptr))) {
    s = std::string_view(ptr, static_cast<std::size_t>(end - ptr));
    return true;
  }
  std::string_view retry = s;
  double value = 0;
  if (!parse_double(retry, value)) return false;
  // Range first: converting a double outside int's range (or NaN) to int is undefined behaviour.
  if (!(value >= static_cast<double>(std::numeric_limits<int>::min()) &&
        value <= static_cast<double>(std::numeric_limits<int>::max())) ||
      value != std::trunc(value))
    return false;
  out = static_cast<int>(value);
  s = retry;
  return true;
}

/// Attributes of a tag's inside ("id='x' name=\"y\" flag=z"), values unquoted and trimmed.
inline std::vector<std::pair<std::string, std::string>> parse_attributes(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  while (true) {
    skip_space(s);
    if (s.empty() || s[0] == '>' || s[0] == '/') break;
    std::size_t eq = s.find('=');
    if (eq == std::string_view::npos) break;
    std::string name(trim(s.substr(0, eq)));
    s.remove_prefix(eq + 1);
    skip_space(s);
    std::string value;
    if (!s.empty() && (s[0] == '\'' || s[0] == '"')) {
      const char quote = s[0];
      std::size_t close = s.find(quote, 1);
      if (close == std::string_view::npos) break;
      value = std::string(trim(s.substr(1, close - 1)));
      s.remove_prefix(close + 1);
    } else {
      std::size_t stop = 0;
      while (stop < s.size() && !is_space(s[stop]) && s[stop] != '>' && s[stop] != '/') ++stop;
      value = std::string(s.substr(0, stop));
      s.remove_prefix(stop);
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

/// The value of attribute `name` (quoted with ' or ") inside `tag`, without allocating; false
/// when absent.
inline bool find_attribute(std::string_view tag, std::string_view name, std::string_view& value) {
  std::size_t pos = 0;
  while ((pos = tag.find(name, pos)) != std::string_view::npos) {
    const bool boundary = pos == 0 || is_space(tag[pos - 1]);
    std::size_t i = pos + name.size();
    while (i < tag.size() && is_space(tag[i])) ++i;
    if (boundary && i < tag.size() && tag[i] == '=') {
      ++i;
      while (i < tag.size() && is_space(tag[i])) ++i;
      if (i < tag.size() && (tag[i] == '\'' || tag[i] == '"')) {
        const char quote = tag[i];
        std::size_t close = tag.find(quote, i + 1);
        if (close == std::string_view::npos) return false;
        value = trim(tag.substr(i + 1, close - i - 1));
        return true;
      }
      std::size_t stop = i;
      while (stop < tag.size() && !is_space(tag[stop]) && tag[stop] != '>') ++stop;
      value = tag.substr(i, stop - i);
      return true;
    }
    pos += name.size();
  }
  return false;
}

/// Printable excerpt of a line for error messages (at most 80 characters).
inline std::string excerpt(std::string_view line) {
  line = trim(line);
  std::string out;
  for (char c : line.substr(0, 80)) out += (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) ? '?' : c;
  if (line.size() > 80) out += "...";
  return out;
}

}  // namespace sbi::lhe::text
