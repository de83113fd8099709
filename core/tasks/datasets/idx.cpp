// Reading IDX files (MNIST / Fashion-MNIST), plain or gzip-compressed. The whole file is
// read into memory, gunzipped with zlib's inflate when it starts with 1f 8b, then checked
// against its header. Every failure is an InputError "PATH: what is wrong".
#include "tasks/datasets/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <system_error>
#include <utility>

#include "ransim/error.hpp"
#include "ransim/weights.hpp"  // shape_text

namespace ransim {

namespace {

constexpr std::size_t kChunk = std::size_t{1} << 20;  // read / inflate step (fits uInt)
constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 32;
constexpr std::size_t kMaxBytes = 4 + 4 * 4 + kMaxElements + 1;  // largest valid file, plus one

// What a path is when it is not a regular file (opening a FIFO would block for ever).
std::string non_regular_kind(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec) return "";  // fopen reports it (missing, permission)
  switch (st.type()) {
    case std::filesystem::file_type::regular: return "";
    case std::filesystem::file_type::directory: return "a directory";
    case std::filesystem::file_type::fifo: return "a FIFO (named pipe)";
    case std::filesystem::file_type::socket: return "a socket";
    case std::filesystem::file_type::character: return "a character device";
    case std::filesystem::file_type::block: return "a block device";
    default: return "not a regular file";
  }
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  if (const std::string kind = non_regular_kind(path); !kind.empty())
    throw InputError(path + ": cannot read an IDX file from " + kind + " (expected a regular file)");
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) throw InputError(path + ": cannot open: " + std::strerror(errno));
  std::vector<std::uint8_t> bytes;
  std::error_code ec;  // the size is a hint (a pipe has none); reading goes on to the end
  if (const auto size = std::filesystem::file_size(path, ec); !ec && size < kMaxBytes)
    bytes.reserve(size + 1);
  std::size_t n = 0, got = 0;
  do {
    bytes.resize(n + kChunk);
    got = std::fread(bytes.data() + n, 1, kChunk, f.get());
    n += got;
  } while (got == kChunk);
  if (std::ferror(f.get())) throw InputError(path + ": cannot read: " + std::strerror(errno));
  bytes.resize(n);
  return bytes;
}

// The file size an IDX header at the start of `b` gives (header and data), once the whole
// header is there and valid; 0 before (or when it is not an IDX header: read_idx says why).
std::size_t size_from_header(const std::uint8_t* b, std::size_t n) {
  if (n < 4 || b[0] != 0 || b[1] != 0 || b[3] == 0 || b[3] > 4) return 0;
  const std::size_t rank = b[3], header = 4 + 4 * rank;
  if (n < header) return 0;
  std::uint64_t total = 1;
  for (std::size_t d = 0; d < rank; ++d) {
    const std::uint8_t* p = b + 4 + 4 * d;
    total *= std::uint64_t{p[0]} << 24 | std::uint64_t{p[1]} << 16 | std::uint64_t{p[2]} << 8 | p[3];
    if (total > kMaxElements) return 0;
  }
  return header + static_cast<std::size_t>(total);
}

// Inflates `in`, stopping soon after the size the IDX header gives is passed (a file that
// inflates to gigabytes of trailing data is refused without inflating it all): `cut` then
// says the data were cut there.
std::vector<std::uint8_t> gunzip(const std::string& path, const std::vector<std::uint8_t>& in, bool& cut) {
  auto corrupt = [&](const std::string& why) { return InputError(path + ": corrupt gzip stream: " + why); };
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw corrupt("cannot initialise zlib");
  const std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  // The trailer's ISIZE (uncompressed size mod 2^32) is only a hint: of a truncated file it is
  // noise, so it is capped by deflate's best ratio (1032:1) and only reserved (pages untouched).
  std::size_t hint = 0;
  for (std::size_t i = 0; i < 4 && in.size() >= 4; ++i) hint |= std::size_t{in[in.size() - 4 + i]} << (8 * i);
  std::vector<std::uint8_t> out;
  try {
    out.reserve(std::min({hint, in.size() * 1032, kMaxBytes}));
  } catch (const std::bad_alloc&) {  // fine: it grows as needed
  }
  std::size_t in_pos = 0, out_pos = 0;
  for (;;) {
    if (zs.avail_in == 0) {
      const std::size_t n = std::min(in.size() - in_pos, kChunk);
      zs.next_in = const_cast<Bytef*>(in.data() + in_pos);
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (out_pos >= kMaxBytes) throw InputError(path + ": decompressed data exceeds 4 GiB");
    out.resize(out_pos + kChunk);
    zs.next_out = out.data() + out_pos;
    zs.avail_out = static_cast<uInt>(kChunk);
    const int ret = inflate(&zs, Z_NO_FLUSH);
    out_pos += kChunk - zs.avail_out;
    const std::size_t expected = size_from_header(out.data(), out_pos);
    if (ret != Z_STREAM_END && expected && out_pos > expected) {  // more is coming: enough seen
      cut = true;
      break;
    }
    const bool input_done = zs.avail_in == 0 && in_pos == in.size();
    if (ret == Z_STREAM_END) {
      if (input_done) break;
      const std::size_t at = in_pos - zs.avail_in;  // another gzip member follows, or garbage
      if (in.size() - at < 2 || in[at] != 0x1f || in[at + 1] != 0x8b)
        throw corrupt("trailing garbage after the gzip stream at byte " + std::to_string(at));
      inflateReset(&zs);
    } else if (ret == Z_BUF_ERROR && input_done) {
      throw corrupt("unexpected end of file (truncated)");
    } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
      throw corrupt(zs.msg ? zs.msg : zError(ret));
    }
  }
  out.resize(out_pos);
  return out;
}

std::string hex(const std::uint8_t* p, std::size_t n) {
  std::string s;
  char buf[4];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", p[i]);
    s += (i ? " " : "") + std::string(buf);
  }
  return s;
}

// "3 x 2 x 2", as the IDX documentation writes shapes.
std::string dims_text(const std::vector<std::size_t>& shape) { return shape_text(shape, " x "); }

}  // namespace

IdxArray read_idx(const std::string& path, std::size_t expected_rank) {
  std::vector<std::uint8_t> bytes = read_file(path);
  bool cut = false;
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) bytes = gunzip(path, bytes, cut);
  auto fail = [&](const std::string& why) { return InputError(path + ": " + why); };

  if (bytes.size() < 4) throw fail("not an IDX file (" + std::to_string(bytes.size()) + " bytes long)");
  if (bytes[0] != 0 || bytes[1] != 0)
    throw fail("not an IDX file (magic bytes " + hex(bytes.data(), 4) + ", expected 00 00 08 0N)");
  if (bytes[2] != 0x08)
    throw fail("unsupported IDX type code 0x" + hex(&bytes[2], 1) +
               " (only 0x08, unsigned byte, is supported)");
  const std::size_t rank = bytes[3];
  if (rank == 0 || rank > 4)
    throw fail("unsupported IDX dimension count " + std::to_string(rank) + " (expected 1 to 4)");
  if (expected_rank && rank != expected_rank)
    throw fail("magic number " + hex(bytes.data(), 4) + " says " + std::to_string(rank) +
               "-D data, expected 00 00 08 0" + std::to_string(expected_rank) + " (" +
               std::to_string(expected_rank) + "-D)");
  const std::size_t header = 4 + 4 * rank;
  if (bytes.size() < header)
    throw fail("truncated header: " + std::to_string(rank) + " dimensions need " + std::to_string(header) +
               " header bytes, found " + std::to_string(bytes.size()));

  IdxArray a;
  for (std::size_t d = 0; d < rank; ++d) {
    const std::uint8_t* p = &bytes[4 + 4 * d];
    a.shape.push_back(std::size_t{p[0]} << 24 | std::size_t{p[1]} << 16 | std::size_t{p[2]} << 8 | p[3]);
  }
  std::uint64_t total = 1;  // stays below 2^64: checked against 2^32 before each product with a dim < 2^32
  for (std::size_t d = 0; d < rank; ++d) {
    if (a.shape[d] == 0)
      throw fail("dimension " + std::to_string(d) + " is 0 (shape " + dims_text(a.shape) + ")");
    if ((total *= a.shape[d]) > kMaxElements)
      throw fail("shape " + dims_text(a.shape) + " exceeds 2^32 bytes");
  }
  const std::size_t found = bytes.size() - header;
  const std::string says =
      "header says " + dims_text(a.shape) + " = " + std::to_string(total) + " bytes of data";
  if (found < total) throw fail("truncated: " + says + ", found " + std::to_string(found));
  if (found > total)
    throw fail("trailing data after the data (" + says + ", found " + (cut ? "more than " : "") +
               std::to_string(found) + ": " + std::to_string(found - total) + (cut ? " or more" : "") +
               " extra bytes)");
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header));
  a.data = std::move(bytes);
  return a;
}

LabelledImages read_idx_images(const std::string& images_path, const std::string& labels_path,
                               std::size_t classes) {
  IdxArray images = read_idx(images_path, 3), labels = read_idx(labels_path, 1);
  if (images.shape.size() != 3)
    throw InputError(images_path + ": expected a 3-D images array (count x rows x cols), found " +
                     std::to_string(images.shape.size()) + "-D " + dims_text(images.shape));
  if (labels.shape.size() != 1)
    throw InputError(labels_path + ": expected a 1-D labels array, found " +
                     std::to_string(labels.shape.size()) + "-D " + dims_text(labels.shape));
  if (images.shape[0] != labels.shape[0])
    throw InputError("image/label count mismatch: " + images_path + " has " +
                     std::to_string(images.shape[0]) + " images but " + labels_path + " has " +
                     std::to_string(labels.shape[0]) + " labels");
  for (std::size_t i = 0; i < labels.data.size(); ++i)
    if (labels.data[i] >= classes)
      throw InputError(labels_path + ": label " + std::to_string(labels.data[i]) + " at index " +
                       std::to_string(i) + " is not below the class count " + std::to_string(classes));
  LabelledImages out;
  out.count = images.shape[0];
  out.rows = images.shape[1];
  out.cols = images.shape[2];
  out.pixels = std::move(images.data);
  out.labels = std::move(labels.data);
  return out;
}

}  // namespace ransim
