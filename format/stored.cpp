#include "format/stored.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <longtail/longtail.h>

namespace longtail::index {

namespace {

constexpr char kMagic[8] = {'L', 'T', 'S', 'T', 'O', 'R', '0', '1'};
constexpr size_t kDictBytes = 32 * 1024;   // zlib's window
constexpr size_t kDictDocs = 1024;         // at most this many documents are held for the dictionary

void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
}
uint64_t get_u64(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t(uint8_t(p[i])) << (8 * i);
  return v;
}
void put_varint(std::string& s, uint64_t v) {
  while (v >= 0x80) {
    s.push_back(char(v | 0x80));
    v >>= 7;
  }
  s.push_back(char(v));
}

void write_all(int fd, const std::string& path, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw DataError(path + ": write: " + std::strerror(errno));
    }
    p += w;
    n -= size_t(w);
  }
}

void read_at(int fd, const std::string& path, char* p, size_t n, uint64_t at) {
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, off_t(at));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) throw DataError(path + ": truncated or unreadable stored-fields file" + (r < 0 ? std::string(": ") + std::strerror(errno) : std::string()));
    p += r;
    n -= size_t(r);
    at += uint64_t(r);
  }
}

}  // namespace

StoredWriter::StoredWriter(std::string path, uint32_t block_docs) : path_(std::move(path)), block_docs_(block_docs ? block_docs : 1) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw DataError(path_ + ": cannot create stored-fields file: " + std::strerror(errno));
}

StoredWriter::~StoredWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void StoredWriter::add(std::string_view data) {
  pending_.emplace_back(data);
  ++docs_;
  if (!started_) {
    size_t bytes = 0;
    for (const auto& d : pending_) bytes += d.size();
    if (bytes < kDictBytes && pending_.size() < kDictDocs) return;
    start();
  }
  if (pending_.size() >= block_docs_) flush_block();
}

void StoredWriter::start() {
  // The dictionary: the held documents, the most recent last (zlib prefers matches near the end).
  std::string all;
  for (const auto& d : pending_) all += d;
  dict_ = all.size() > kDictBytes ? all.substr(all.size() - kDictBytes) : all;
  std::string h(kMagic, sizeof kMagic);
  put_u32(h, block_docs_);
  put_u32(h, uint32_t(dict_.size()));
  h += dict_;
  write_all(fd_, path_, h.data(), h.size());
  at_ = h.size();
  started_ = true;
  std::vector<std::string> held;
  held.swap(pending_);
  for (auto& d : held) {
    pending_.push_back(std::move(d));
    if (pending_.size() >= block_docs_) flush_block();
  }
}

void StoredWriter::flush_block() {
  if (pending_.empty()) return;
  std::string raw;
  for (const auto& d : pending_) {
    put_varint(raw, d.size());
    raw += d;
  }
  pending_.clear();
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw DataError(path_ + ": deflateInit2 failed");
  if (!dict_.empty()) deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dict_.data()), uInt(dict_.size()));
  std::string out(deflateBound(&z, uLong(raw.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(raw.data());
  z.avail_in = uInt(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const size_t n = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw DataError(path_ + ": deflate failed");
  offsets_.push_back(at_);
  out_.append(out.data(), n);
  at_ += n;
  if (out_.size() >= (1u << 20)) {
    write_all(fd_, path_, out_.data(), out_.size());
    out_.clear();
  }
}

void StoredWriter::finish() {
  if (fd_ < 0) return;
  if (!started_) start();
  flush_block();
  std::string tail;
  for (uint64_t o : offsets_) put_u64(tail, o);
  put_u64(tail, at_);  // end of the last block
  const uint64_t offsets_at = at_;  // the offsets follow the last block (at_ counts bytes still in out_)
  put_u64(tail, docs_);
  put_u64(tail, offsets_at);
  tail.append(kMagic, sizeof kMagic);
  out_ += tail;
  write_all(fd_, path_, out_.data(), out_.size());
  out_.clear();
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw DataError(path_ + ": close: " + std::strerror(errno));
  }
  fd_ = -1;
}

std::shared_ptr<const StoredReader> StoredReader::open(const std::string& path) {
  std::shared_ptr<StoredReader> r(new StoredReader());
  r->path_ = path;
  r->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) throw DataError(path + ": cannot open stored-fields file: " + std::strerror(errno));
  const off_t size = ::lseek(r->fd_, 0, SEEK_END);
  if (size < off_t(16 + 24)) throw DataError(path + ": not a stored-fields file (too short)");
  char head[16], trailer[24];
  read_at(r->fd_, path, head, sizeof head, 0);
  read_at(r->fd_, path, trailer, sizeof trailer, uint64_t(size) - sizeof trailer);
  if (std::memcmp(head, kMagic, 8) != 0 || std::memcmp(trailer + 16, kMagic, 8) != 0)
    throw DataError(path + ": not a stored-fields file (bad magic)");
  r->block_docs_ = uint32_t(get_u64(head + 8, 4));
  const uint64_t dict_len = get_u64(head + 12, 4);
  r->docs_ = get_u64(trailer, 8);
  const uint64_t offsets_at = get_u64(trailer + 8, 8);
  const uint64_t blocks = r->block_docs_ ? (r->docs_ + r->block_docs_ - 1) / r->block_docs_ : 0;
  if (r->block_docs_ == 0 || 16 + dict_len > offsets_at || offsets_at + 8 * (blocks + 1) + 24 != uint64_t(size))
    throw DataError(path + ": damaged stored-fields file (header, offsets and size disagree)");
  r->dict_.resize(dict_len);
  read_at(r->fd_, path, r->dict_.data(), dict_len, 16);
  std::string raw(8 * (blocks + 1), '\0');
  read_at(r->fd_, path, raw.data(), raw.size(), offsets_at);
  r->offsets_.resize(blocks + 1);
  for (uint64_t b = 0; b <= blocks; ++b) {
    r->offsets_[b] = get_u64(raw.data() + 8 * b, 8);
    if (r->offsets_[b] > offsets_at || (b > 0 && r->offsets_[b] < r->offsets_[b - 1]))
      throw DataError(path + ": damaged stored-fields file (offset of block " + std::to_string(b) + ")");
  }
  return r;
}

StoredReader::~StoredReader() {
  if (fd_ >= 0) ::close(fd_);
}

std::string StoredReader::get(uint64_t did) const {
  if (did == 0 || did > docs_)
    throw DataError(path_ + ": no stored fields for document " + std::to_string(did) + " (" + std::to_string(docs_) + " stored)");
  const uint64_t b = (did - 1) / block_docs_;
  std::string packed(offsets_[b + 1] - offsets_[b], '\0');
  read_at(fd_, path_, packed.data(), packed.size(), offsets_[b]);
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) throw DataError(path_ + ": inflateInit2 failed");
  if (!dict_.empty()) inflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dict_.data()), uInt(dict_.size()));
  std::string raw(packed.size() * 4 + 256, '\0');
  z.next_in = reinterpret_cast<Bytef*>(packed.data());
  z.avail_in = uInt(packed.size());
  size_t have = 0;
  int rc = Z_OK;
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(raw.data() + have);
    z.avail_out = uInt(raw.size() - have);
    rc = inflate(&z, Z_FINISH);
    have = raw.size() - z.avail_out;
    if (rc == Z_STREAM_END) break;
    if ((rc == Z_BUF_ERROR || rc == Z_OK) && z.avail_out == 0) {
      raw.resize(raw.size() * 2);
      continue;
    }
    break;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw DataError(path_ + ": damaged stored-fields block " + std::to_string(b));
  // Walk to the document within its block.
  size_t at = 0;
  uint64_t skip = (did - 1) % block_docs_;
  while (true) {
    uint64_t len = 0;
    int shift = 0;
    while (true) {
      if (at >= have || shift > 63) throw DataError(path_ + ": damaged stored-fields block " + std::to_string(b));
      const uint8_t c = uint8_t(raw[at++]);
      len |= uint64_t(c & 0x7f) << shift;
      shift += 7;
      if (!(c & 0x80)) break;
    }
    if (len > have - at) throw DataError(path_ + ": damaged stored-fields block " + std::to_string(b));
    if (skip == 0) return raw.substr(at, len);
    at += len;
    --skip;
  }
}

}  // namespace longtail::index
