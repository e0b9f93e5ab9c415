// Streaming LHE reader: gzip or plain text through zlib's gz* interface (which reads plain files
// unchanged), one reused line buffer, hand-written parsing with std::from_chars.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "lhe_text.hpp"
#include "sbi/error.hpp"
#include "sbi/lhe.hpp"

namespace sbi::lhe {

using text::trim;

std::string_view to_string(EventNorm norm) {
  switch (norm) {
    case EventNorm::average: return "average";
    case EventNorm::sum: return "sum";
    case EventNorm::unity: return "unity";
    case EventNorm::bias: return "bias";
    case EventNorm::unknown: break;
  }
  return "unknown";
}

EventNorm event_norm_from_string(std::string_view s) {
  s = trim(s);
  if (text::iequals(s, "average")) return EventNorm::average;
  if (text::iequals(s, "sum")) return EventNorm::sum;
  if (text::iequals(s, "unity")) return EventNorm::unity;
  if (text::iequals(s, "bias")) return EventNorm::bias;
  if (text::iequals(s, "unknown")) return EventNorm::unknown;
  throw InvalidArgument(fmt::format("event_norm = '{}': must be one of average, sum, unity, bias, unknown", s));
}

void ReaderOptions::validate() const {
  if (max_line_bytes < 1024)
    throw InvalidArgument(fmt::format("ReaderOptions::max_line_bytes = {}: must be at least 1024", max_line_bytes));
  if (max_particles < 1)
    throw InvalidArgument(fmt::format("ReaderOptions::max_particles = {}: must be at least 1", max_particles));
}

namespace {

/// Lines of a (possibly gzip-compressed) file, as views into one reused buffer. A view stays
/// valid until the next call.
class LineSource {
 public:
  LineSource(const std::filesystem::path& path, std::size_t max_line_bytes) : path_(path), max_line_(max_line_bytes) {
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) throw FileError(fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)));
    gzbuffer(file_, 1 << 18);
    buffer_.resize(1 << 18);
  }
  ~LineSource() {
    if (file_) gzclose(file_);
  }
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;

  /// Next line without its end-of-line characters; false at the end of the file.
  bool next(std::string_view& line) {
    while (true) {
      const char* start = buffer_.data() + begin_;
      const void* nl = std::memchr(start, '\n', end_ - begin_);
      if (nl) {
        const char* stop = static_cast<const char*>(nl);
        std::size_t length = static_cast<std::size_t>(stop - start);
        begin_ += length + 1;
        if (length > 0 && start[length - 1] == '\r') --length;
        line = std::string_view(start, length);
        ++line_number_;
        return true;
      }
      if (eof_) {
        if (begin_ == end_) return false;
        line = std::string_view(start, end_ - begin_);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        begin_ = end_;
        ++line_number_;
        return true;
      }
      fill();
    }
  }

  std::int64_t line_number() const { return line_number_; }
  std::int64_t bytes() const { return bytes_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void fill() {
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buffer_.size()) {
      if (buffer_.size() >= max_line_)
        throw FormatError(fmt::format("'{}' line {}: a line longer than {} bytes; not an LHE file, or corrupt",
                                      path_.string(), line_number_ + 1, max_line_));
      buffer_.resize(std::min(buffer_.size() * 2, max_line_));
    }
    const auto wanted = static_cast<unsigned>(std::min<std::size_t>(buffer_.size() - end_, 1u << 30));
    const int got = gzread(file_, buffer_.data() + end_, wanted);
    int errnum = Z_OK;
    const char* message = gzerror(file_, &errnum);
    if (got < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
      // Z_BUF_ERROR: the gzip stream ends before its end marker (a truncated download or copy).
      const bool truncated = errnum == Z_BUF_ERROR;
      throw FormatError(fmt::format("'{}' near line {}: {} ({}); the file is {}", path_.string(), line_number_ + 1,
                                    truncated ? "compressed data ends unexpectedly" : "cannot decompress",
                                    message ? message : "zlib error", truncated ? "truncated" : "corrupt"));
    }
    if (got == 0) eof_ = true;
    end_ += static_cast<std::size_t>(got);
    bytes_ += got;
  }

  std::filesystem::path path_;
  std::size_t max_line_;
  gzFile file_ = nullptr;
  std::vector<char> buffer_;
  std::size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  std::int64_t line_number_ = 0;
  std::int64_t bytes_ = 0;
};

/// Heterogeneous lookup: find a std::string key from a string_view without allocating.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

/// Replaces `<!-- … -->` comments by blanks (CDATA sections are left alone), so tags in comments
/// are not taken for real ones.
std::string strip_comments(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, 9, "<![CDATA[") == 0) {
      std::size_t close = s.find("]]>", i + 9);
      std::size_t stop = close == std::string_view::npos ? s.size() : close + 3;
      out.append(s.substr(i, stop - i));
      i = stop;
    } else if (s.compare(i, 4, "<!--") == 0) {
      std::size_t close = s.find("-->", i + 4);
      std::size_t stop = close == std::string_view::npos ? s.size() : close + 3;
      for (std::size_t k = i; k < stop; ++k) out += s[k] == '\n' ? '\n' : ' ';
      i = stop;
    } else {
      out += s[i++];
    }
  }
  return out;
}

/// Finds `<name …>` (exact tag name) from `from`; returns the position of '<' or npos.
std::size_t find_tag(std::string_view s, std::string_view name, std::size_t from = 0) {
  std::string open(1, '<');
  open.append(name);
  while ((from = s.find(open, from)) != std::string_view::npos) {
    std::size_t after = from + open.size();
    if (after >= s.size() || s[after] == '>' || s[after] == '/' || text::is_space(s[after])) return from;
    from = after;
  }
  return std::string_view::npos;
}

/// Content of the first `<name …>…</name>` element (CDATA markers removed), or nullopt.
std::optional<std::string> element_text(std::string_view s, std::string_view name) {
  std::size_t open = find_tag(s, name);
  if (open == std::string_view::npos) return std::nullopt;
  std::size_t gt = s.find('>', open);
  if (gt == std::string_view::npos) return std::nullopt;
  std::string close("</");
  close.append(name);
  close += '>';
  std::size_t end = s.find(close, gt);
  if (end == std::string_view::npos) return std::nullopt;
  std::string content(s.substr(gt + 1, end - gt - 1));
  for (std::string_view marker : {std::string_view("<![CDATA["), std::string_view("]]>")}) {
    std::size_t pos;
    while ((pos = content.find(marker)) != std::string::npos) content.erase(pos, marker.size());
  }
  return content;
}

void parse_run_card(Header& header) {
  std::string_view card = header.run_card;
  while (!card.empty()) {
    std::size_t nl = card.find('\n');
    std::string_view line = card.substr(0, nl);
    card.remove_prefix(nl == std::string_view::npos ? card.size() : nl + 1);
    // "value = key ! comment" (MadGraph's run-card syntax; '#' starts a comment line).
    if (std::size_t bang = line.find('!'); bang != std::string_view::npos) line = line.substr(0, bang);
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view value = trim(line.substr(0, eq)), key = trim(line.substr(eq + 1));
    if (key == "event_norm") {
      try {
        header.event_norm = event_norm_from_string(value);
      } catch (const InvalidArgument&) {
        header.event_norm = EventNorm::unknown;
      }
    } else if (key == "nevents") {
      std::string_view v = value;
      double n = 0;
      if (text::parse_double(v, n) && n >= 0 && n < 9e18) header.run_card_nevents = static_cast<std::int64_t>(n);
    }
  }
}

void parse_initrwgt(std::string_view s, std::vector<WeightInfo>& weights, const std::string& where) {
  std::size_t pos = 0;
  while ((pos = find_tag(s, "initrwgt", pos)) != std::string_view::npos) {
    std::size_t end = s.find("</initrwgt>", pos);
    if (end == std::string_view::npos)
      throw FormatError(fmt::format("{}: <initrwgt> is not closed by </initrwgt>; the header is broken", where));
    std::string_view block = s.substr(pos, end - pos);
    pos = end + 11;
    std::string group;
    std::size_t i = 1;  // past the '<' of <initrwgt>
    while ((i = block.find('<', i)) != std::string_view::npos) {
      std::string_view rest = block.substr(i);
      std::size_t gt = rest.find('>');
      if (gt == std::string_view::npos)
        throw FormatError(fmt::format("{}: unterminated tag '{}' in <initrwgt>", where, text::excerpt(rest)));
      std::string_view tag = rest.substr(0, gt + 1);
      if (text::starts_with_tag(tag, "weightgroup")) {
        auto attributes = text::parse_attributes(tag.substr(12));
        group.clear();
        for (const auto& [k, v] : attributes)
          if (k == "name") group = v;
        if (group.empty())
          for (const auto& [k, v] : attributes)
            if (k == "type") group = v;
      } else if (tag.starts_with("</weightgroup")) {
        group.clear();
      } else if (text::starts_with_tag(tag, "weight")) {
        auto attributes = text::parse_attributes(tag.substr(7));
        std::string id;
        for (const auto& [k, v] : attributes)
          if (k == "id") id = v;
        if (id.empty())
          for (const auto& [k, v] : attributes)
            if (k == "name") id = v;
        if (id.empty())
          throw FormatError(fmt::format("{}: <weight> without an id in <initrwgt>: '{}'", where, text::excerpt(tag)));
        std::string body;
        std::size_t next = i + gt + 1;
        if (!(tag.size() >= 2 && tag[tag.size() - 2] == '/')) {
          std::size_t close = block.find("</weight>", next);
          if (close == std::string_view::npos)
            throw FormatError(fmt::format("{}: <weight id='{}'> is not closed by </weight>", where, id));
          body = std::string(trim(block.substr(next, close - next)));
          next = close + 9;
        }
        const bool seen =
            std::any_of(weights.begin(), weights.end(), [&](const WeightInfo& w) { return w.id == id; });
        if (!seen) weights.push_back(WeightInfo{id, body, group});
        i = next;
        continue;
      }
      i += gt + 1;
    }
  }
}

}  // namespace

struct Reader::Impl {
  Impl(const std::filesystem::path& p, const ReaderOptions& o) : options(o), source(p, o.max_line_bytes), path(p) {}

  ReaderOptions options;
  LineSource source;
  std::filesystem::path path;
  Header header;
  EventNorm norm = EventNorm::unknown;
  std::vector<std::string> weight_ids;
  std::unordered_map<std::string, int, StringHash, std::equal_to<>> weight_index;
  bool ids_from_header = false;
  bool finished = false;
  std::int64_t events = 0;
  std::vector<char> filled;  // per named weight: seen in this event

  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(fmt::format("'{}' line {}: {}", path.string(), source.line_number(), what));
  }
  [[noreturn]] void fail_event(std::int64_t index, const std::string& what) const {
    throw FormatError(fmt::format("'{}' line {}, event {}: {}", path.string(), source.line_number(), index, what));
  }

  bool next_nonempty(std::string_view& t) {
    std::string_view line;
    while (source.next(line)) {
      t = trim(line);
      if (!t.empty()) return true;
    }
    return false;
  }

  void read_header() {
    std::string_view t;
    if (!next_nonempty(t) || !t.starts_with("<LesHouchesEvents"))
      fail(fmt::format("expected '<LesHouchesEvents version=…>' as the first tag, found '{}'; not an LHE file",
                       text::excerpt(t)));
    std::string_view version;
    if (text::find_attribute(t, "version", version)) header.version = std::string(version);

    // Header: every line up to <init>, outside comments and CDATA sections.
    bool in_comment = false, in_cdata = false;
    std::string_view line;
    bool found_init = false;
    while (source.next(line)) {
      t = trim(line);
      if (!in_comment && !in_cdata && text::starts_with_tag(t, "init")) {
        found_init = true;
        break;
      }
      header.text.append(line);
      header.text += '\n';
      // Track comment / CDATA state across lines (so an "<init>" inside one is not taken).
      for (std::size_t i = 0; i < line.size(); ++i) {
        if (in_comment) {
          if (line.compare(i, 3, "-->") == 0) in_comment = false, i += 2;
        } else if (in_cdata) {
          if (line.compare(i, 3, "]]>") == 0) in_cdata = false, i += 2;
        } else if (line.compare(i, 4, "<!--") == 0) {
          in_comment = true, i += 3;
        } else if (line.compare(i, 9, "<![CDATA[") == 0) {
          in_cdata = true, i += 8;
        }
      }
      if (header.text.size() > (std::size_t{256} << 20))
        fail("more than 256 MiB of header before <init>; not an LHE file");
    }
    if (!found_init) fail("the file ends before the <init> block; truncated or not an LHE file");

    // <init>: HEPRUP's beam line, one line per process, then extras up to </init>.
    InitBlock& init = header.init;
    if (!next_nonempty(t)) fail("the file ends inside <init>");
    {
      std::string_view s = t;
      int nprup = 0;
      bool ok = text::parse_int(s, init.beam_pdg_id[0]) && text::parse_int(s, init.beam_pdg_id[1]) &&
                text::parse_double(s, init.beam_energy_gev[0]) && text::parse_double(s, init.beam_energy_gev[1]) &&
                text::parse_int(s, init.pdf_group[0]) && text::parse_int(s, init.pdf_group[1]) &&
                text::parse_int(s, init.pdf_set[0]) && text::parse_int(s, init.pdf_set[1]) &&
                text::parse_int(s, init.weighting_strategy) && text::parse_int(s, nprup);
      if (!ok || nprup < 0 || nprup > 100000)
        fail(fmt::format("<init> must start with IDBMUP(2) EBMUP(2) PDFGUP(2) PDFSUP(2) IDWTUP NPRUP; found '{}'",
                         text::excerpt(t)));
      init.processes.resize(static_cast<std::size_t>(nprup));
    }
    for (auto& process : init.processes) {
      if (!next_nonempty(t)) fail("the file ends inside <init>");
      std::string_view s = t;
      if (!(text::parse_double(s, process.cross_section_pb) && text::parse_double(s, process.cross_section_error_pb) &&
            text::parse_double(s, process.max_weight) && text::parse_int(s, process.process_id)))
        fail(fmt::format("<init> process line must be XSECUP XERRUP XMAXUP LPRUP; found '{}'", text::excerpt(t)));
    }
    bool closed = false;
    while (source.next(line)) {
      t = trim(line);
      if (t.starts_with("</init>")) {
        closed = true;
        break;
      }
      if (text::starts_with_tag(t, "event")) fail("<init> is not closed by </init> before the first <event>");
      init.extra.append(line);
      init.extra += '\n';
    }
    if (!closed) fail("the file ends inside <init>");

    // What the header says about weights and normalisation.
    const std::string where = fmt::format("'{}' header", path.string());
    const std::string clean = strip_comments(header.text);
    if (auto card = element_text(clean, "MGRunCard")) header.run_card = std::move(*card);
    if (auto card = element_text(clean, "slha")) header.param_card = std::move(*card);
    if (auto info = element_text(clean, "MGGenerationInfo")) {
      std::size_t pos = info->find("Number of Events");
      if (pos != std::string::npos) {
        std::size_t colon = info->find(':', pos);
        std::string_view v = std::string_view(*info).substr(colon == std::string::npos ? info->size() : colon + 1);
        double n = 0;
        if (text::parse_double(v, n) && n >= 0 && n < 9e18) header.generated_events = static_cast<std::int64_t>(n);
      }
    }
    parse_run_card(header);
    parse_initrwgt(clean, header.weights, where);
    parse_initrwgt(strip_comments(init.extra), header.weights, where);

    for (const auto& w : header.weights) add_weight_id(w.id);
    ids_from_header = !weight_ids.empty();

    if (options.override_header_event_norm && options.event_norm != EventNorm::unknown)
      norm = options.event_norm;
    else if (header.event_norm != EventNorm::unknown)
      norm = header.event_norm;
    else if (options.event_norm != EventNorm::unknown)
      norm = options.event_norm;
    else
      norm = (std::abs(init.weighting_strategy) == 3 || std::abs(init.weighting_strategy) == 4) ? EventNorm::average
                                                                                                  : EventNorm::sum;
  }

  void add_weight_id(const std::string& id) {
    weight_index.emplace(id, static_cast<int>(weight_ids.size()));
    weight_ids.push_back(id);
  }

  void parse_wgt_line(Event& event, std::string_view t, int& count) {
    std::size_t pos = 0;
    while ((pos = t.find("<wgt", pos)) != std::string_view::npos) {
      std::size_t gt = t.find('>', pos);
      if (gt == std::string_view::npos) fail_event(event.index, fmt::format("unterminated <wgt> tag: '{}'", text::excerpt(t)));
      std::string_view tag = t.substr(pos, gt - pos);
      std::string_view id;
      if (!text::find_attribute(tag, "id", id))
        fail_event(event.index, fmt::format("<wgt> without an id: '{}'", text::excerpt(t)));
      std::size_t close = t.find("</wgt>", gt);
      if (close == std::string_view::npos)
        fail_event(event.index, fmt::format("<wgt id='{}'> is not closed by </wgt> on its line", id));
      std::string_view body = t.substr(gt + 1, close - gt - 1);
      double value = 0;
      if (!text::parse_double(body, value) || !trim(body).empty())
        fail_event(event.index, fmt::format("weight '{}' is not a number: '{}'", id,
                                            text::excerpt(t.substr(gt + 1, close - gt - 1))));
      int index = -1;
      if (count < static_cast<int>(weight_ids.size()) && weight_ids[static_cast<std::size_t>(count)] == id) {
        index = count;  // the usual case: same order as declared
      } else if (auto it = weight_index.find(id); it != weight_index.end()) {
        index = it->second;
      } else if (!ids_from_header && events == 0) {
        add_weight_id(std::string(id));
        index = static_cast<int>(weight_ids.size()) - 1;
      } else {
        fail_event(event.index,
                   fmt::format("weight id '{}' is not among the {} ({}): [{}]", id,
                               ids_from_header ? "ids declared in the header's <initrwgt>" : "ids of the first event",
                               weight_ids.size(), fmt::join(weight_ids, ", ")));
      }
      const auto k = static_cast<std::size_t>(index);
      // Ids may have been added just now (first event of a file without <initrwgt>).
      if (event.named_weights.size() < weight_ids.size())
        event.named_weights.resize(weight_ids.size(), std::numeric_limits<double>::quiet_NaN());
      if (filled.size() < weight_ids.size()) filled.resize(weight_ids.size(), 0);
      if (filled[k]) fail_event(event.index, fmt::format("weight id '{}' appears twice", id));
      filled[k] = 1;
      event.named_weights[k] = value;
      ++count;
      pos = close + 6;
    }
  }

  bool next(Event& event) {
    if (finished) return false;
    std::string_view line, t;
    // Between events: blank lines, comments, other tags; the end tag ends the file.
    while (true) {
      if (!source.next(line))
        fail(fmt::format("the file ends after {} events without </LesHouchesEvents>; it is truncated", events));
      t = trim(line);
      if (t.empty()) continue;
      if (text::starts_with_tag(t, "event")) break;
      if (t.starts_with("</LesHouchesEvents")) {
        // Read to the end so that a damaged gzip trailer is still reported.
        while (source.next(line)) {
        }
        finished = true;
        return false;
      }
      if (t.starts_with("<!--")) {
        while (t.find("-->") == std::string_view::npos) {
          if (!source.next(line)) fail("the file ends inside a comment");
          t = line;
        }
        continue;
      }
      if (t[0] == '<') continue;  // <eventgroup>, </eventgroup>, …
      fail(fmt::format("unexpected text between events after event {}: '{}'", events, text::excerpt(t)));
    }

    event.index = events;
    event.line = source.line_number();
    event.attributes.clear();
    event.weight_list.clear();
    std::string_view rest;  // content after '<event …>' on the same line
    {
      std::size_t gt = t.find('>');
      if (gt == std::string_view::npos) fail_event(events, fmt::format("unterminated <event> tag: '{}'", text::excerpt(t)));
      if (gt > 6) {
        for (auto& [k, v] : text::parse_attributes(t.substr(6, gt - 6))) event.attributes.emplace_back(std::move(k), std::move(v));
      }
      rest = trim(t.substr(gt + 1));
    }

    // HEPEUP: NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP.
    if (rest.empty() && !next_nonempty(rest)) fail_event(events, "the file ends inside the event; it is truncated");
    int nup = 0;
    {
      std::string_view s = rest;
      if (!(text::parse_int(s, nup) && text::parse_int(s, event.process_id) && text::parse_double(s, event.weight) &&
            text::parse_double(s, event.scale) && text::parse_double(s, event.alpha_qed) &&
            text::parse_double(s, event.alpha_qcd)))
        fail_event(events, fmt::format("the event line must be NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP; found '{}'",
                                       text::excerpt(rest)));
      if (nup < 0 || nup > options.max_particles)
        fail_event(events, fmt::format("NUP = {}: must be between 0 and {}", nup, options.max_particles));
      if (!std::isfinite(event.weight)) fail_event(events, fmt::format("XWGTUP = {} is not finite", event.weight));
    }
    event.particles.resize(static_cast<std::size_t>(nup));
    for (int k = 0; k < nup; ++k) {
      if (!next_nonempty(t)) fail_event(events, "the file ends inside the event; it is truncated");
      if (t[0] == '<' || t[0] == '#')
        fail_event(events, fmt::format("NUP = {} particles declared but only {} particle lines before '{}'", nup, k,
                                       text::excerpt(t)));
      Particle& p = event.particles[static_cast<std::size_t>(k)];
      std::string_view s = t;
      if (!(text::parse_int(s, p.pdg_id) && text::parse_int(s, p.status) && text::parse_int(s, p.mother1) &&
            text::parse_int(s, p.mother2) && text::parse_int(s, p.color1) && text::parse_int(s, p.color2) &&
            text::parse_double(s, p.px) && text::parse_double(s, p.py) && text::parse_double(s, p.pz) &&
            text::parse_double(s, p.e) && text::parse_double(s, p.m) && text::parse_double(s, p.lifetime) &&
            text::parse_double(s, p.spin)))
        fail_event(events, fmt::format("particle {} of {}: the line must be IDUP ISTUP MOTHUP(2) ICOLUP(2) PUP(5) VTIMUP "
                                       "SPINUP; found '{}'",
                                       k + 1, nup, text::excerpt(t)));
    }

    // Optional blocks up to </event>.
    // The Event may come from another Reader: size its weights for this file.
    filled.assign(weight_ids.size(), 0);
    event.named_weights.assign(weight_ids.size(), std::numeric_limits<double>::quiet_NaN());
    int count = 0;
    bool in_weights = false;
    while (true) {
      if (!source.next(line)) fail_event(events, "the file ends inside the event; it is truncated");
      t = trim(line);
      if (t.empty()) continue;
      if (in_weights) {
        std::size_t close = t.find("</weights>");
        std::string_view numbers = close == std::string_view::npos ? t : t.substr(0, close);
        double v = 0;
        while (text::parse_double(numbers, v)) event.weight_list.push_back(v);
        if (!trim(numbers).empty())
          fail_event(events, fmt::format("<weights> holds a non-number: '{}'", text::excerpt(numbers)));
        if (close != std::string_view::npos) in_weights = false;
        continue;
      }
      if (t[0] != '<') {
        if (t[0] == '#') continue;  // generator comments (#aMCatNLO, #rwgt, …)
        fail_event(events, fmt::format("more particle lines than NUP = {} or stray text: '{}'", nup, text::excerpt(t)));
      }
      if (t.starts_with("<wgt")) {
        parse_wgt_line(event, t, count);
      } else if (t.starts_with("</event>")) {
        break;
      } else if (text::starts_with_tag(t, "weights")) {
        std::size_t gt = t.find('>');
        std::string_view after = t.substr(gt + 1);
        std::size_t close = after.find("</weights>");
        std::string_view numbers = close == std::string_view::npos ? after : after.substr(0, close);
        double v = 0;
        while (text::parse_double(numbers, v)) event.weight_list.push_back(v);
        if (!trim(numbers).empty())
          fail_event(events, fmt::format("<weights> holds a non-number: '{}'", text::excerpt(numbers)));
        in_weights = close == std::string_view::npos;
      } else if (text::starts_with_tag(t, "rwgt")) {
        std::size_t gt = t.find('>');
        if (gt != std::string_view::npos && t.find("<wgt", gt) != std::string_view::npos) parse_wgt_line(event, t, count);
      } else if (text::starts_with_tag(t, "event")) {
        fail_event(events, "a new <event> starts before </event>; the file is broken");
      } else if (t.starts_with("</LesHouchesEvents")) {
        fail_event(events, "</LesHouchesEvents> inside an event; the file is broken");
      }
      // Everything else (<mgrwt>, <scales>, <weight name=…> of LHEF2, </rwgt>) carries nothing we store.
    }

    if (!weight_ids.empty()) {
      if (count == 0 && ids_from_header && event.weight_list.size() == weight_ids.size()) {
        // LHEF3: the declared weights come as an unnamed <weights> list, in declaration order.
        std::copy(event.weight_list.begin(), event.weight_list.end(), event.named_weights.begin());
        count = static_cast<int>(weight_ids.size());
      }
      if (count != static_cast<int>(weight_ids.size())) {
        std::vector<std::string> missing;
        for (std::size_t k = 0; k < weight_ids.size(); ++k)
          if (!filled[k]) missing.push_back(weight_ids[k]);
        if (missing.size() > 10) missing.resize(10), missing.push_back("…");
        fail_event(events, fmt::format("{} of {} named weights are missing: [{}]", weight_ids.size() - static_cast<std::size_t>(count),
                                       weight_ids.size(), fmt::join(missing, ", ")));
      }
    } else {
      event.named_weights.clear();
    }
    ++events;
    return true;
  }
};

Reader::Reader(const std::filesystem::path& path, const ReaderOptions& options) {
  options.validate();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw FileNotFound(fmt::format("'{}' does not exist; give the path of an LHE file (.lhe or .lhe.gz)", path.string()));
  if (std::filesystem::is_directory(path, ec))
    throw FileError(fmt::format("'{}' is a directory; give the path of an LHE file", path.string()));
  impl_ = std::make_unique<Impl>(path, options);
  impl_->read_header();
}

Reader::~Reader() = default;
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;

const Header& Reader::header() const { return impl_->header; }
const std::filesystem::path& Reader::path() const { return impl_->path; }
const std::vector<std::string>& Reader::weight_ids() const { return impl_->weight_ids; }
EventNorm Reader::event_norm() const { return impl_->norm; }
bool Reader::next(Event& event) { return impl_->next(event); }
std::int64_t Reader::events_read() const { return impl_->events; }
std::int64_t Reader::bytes_read() const { return impl_->source.bytes(); }

Header read_header(const std::filesystem::path& path, const ReaderOptions& options) {
  Reader reader(path, options);
  return reader.header();
}

}  // namespace sbi::lhe
