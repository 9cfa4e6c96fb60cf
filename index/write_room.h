// longtail::WriteRoom: room on disk for Xapian's next flush, checked before Xapian writes.
//
// Xapian 1.4 cannot recover from a write that fails inside a flush. Glass merges the value
// streams through ValueUpdater objects whose destructors write the last chunk: when a block
// write fails (ENOSPC on a full disk, EFBIG past a file-size limit, EIO), the destructor's
// write throws again and the runtime calls std::terminate inside libxapian. A flush happens in
// commit() and commit_transaction(), and inside add_document/replace_document/delete_document
// every XAPIAN_FLUSH_THRESHOLD changes (10,000 by default). So every writer of a shard
// (the builder, the updater, optimize) counts its changes here and asks before each flush
// whether the disk and the process's file-size limit leave room for it; when they do not it
// throws DataError (naming the database, the cause as strerror says it and the figures), which
// unwinds cleanly: the writer abandons the database without committing (abandon()) and the
// previous generation stays live.
//
// The room a flush needs is estimated, not known: three times the bytes of the changes since the
// last flush (terms, values, data), plus 64 MiB on the disk. Should a flush still fail (the disk
// filled by another process meanwhile), the process ends inside Xapian as before; CURRENT still
// names the previous generation, so the live index is unchanged.
#pragma once

#include <xapian.h>

#include <cstdint>
#include <memory>
#include <string>

namespace longtail {

class WriteRoom {
 public:
  // `dir`: the database's directory (or any path on its filesystem whose files may grow).
  explicit WriteRoom(std::string dir);

  // Before adding or replacing `doc` (or deleting, doc == nullptr): counts the change and, when
  // this change may make Xapian flush, checks the room first.
  void before_change(const Xapian::Document* doc);
  // Before commit() or commit_transaction(): checks the room for what is pending, then counts anew.
  void before_commit();

  // Bytes a document adds to a flush, roughly: data, values and 12 bytes per term.
  static uint64_t document_bytes(const Xapian::Document& doc);

 private:
  void check() const;
  std::string dir_;
  uint64_t pending_bytes_ = 0;
  uint64_t changes_ = 0;
  uint64_t threshold_;
};

// A writable database that must not commit (a write failed or was refused): kept open and
// reachable until the process exits instead of being closed, because close() and the destructor
// commit the pending changes, whose flush may fail inside Xapian's value merge (see above).
void abandon(std::unique_ptr<Xapian::WritableDatabase> db);

}  // namespace longtail
