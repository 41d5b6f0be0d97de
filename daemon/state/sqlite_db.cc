#include "state/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

namespace presenced {
namespace {

// Says in plain words what an operator can do about the common failures.
const char* Plainly(int extended_code) {
  switch (extended_code & 0xff) {
    case SQLITE_READONLY:
      return " (read-only: check the permissions of the file and of state.dir)";
    case SQLITE_FULL:
      return " (disk full)";
    case SQLITE_IOERR:
      return " (I/O error: disk full, over a file-size limit, or failing)";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return " (locked by another process)";
    case SQLITE_CANTOPEN:
      return " (cannot open: check that state.dir exists and is writable)";
    default:
      return "";
  }
}

// Returns "state store <file>: <sqlite's message> (<plain words>)".
Error SqliteError(sqlite3* db, std::string_view fallback_file, const char* message) {
  const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  const std::string name = file != nullptr && *file != '\0' ? file : std::string(fallback_file);
  const int code = db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
  if (message == nullptr) message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return Error{"state store " + name + ": " + message + Plainly(code)};
}

Error SqliteError(sqlite3* db) { return SqliteError(db, "", nullptr); }

}  // namespace

Result<SqliteDb> SqliteDb::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error error = SqliteError(db, path, nullptr);
    sqlite3_close(db);
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  // The WAL is checkpointed (PASSIVE: it never waits for a reader) once it holds 1000 pages, and
  // then restarted from its start; journal_size_limit also truncates the file back to 8 MiB, so
  // one large cycle (a snapshot rewrite of a big channel set) does not leave a WAL that size
  // on disk forever.
  sqlite3_wal_autocheckpoint(db, 1000);
  sqlite3_exec(db, "PRAGMA journal_size_limit=8388608", nullptr, nullptr, nullptr);
  return SqliteDb(db);
}

SqliteDb::SqliteDb(SqliteDb&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

Status SqliteDb::Exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    Error error = SqliteError(db_, "", message);
    sqlite3_free(message);
    return error;
  }
  return Ok{};
}

Result<Statement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return SqliteError(db_);
  }
  return Statement(db_, stmt);
}

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view value) {
  sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT);
  return *this;
}

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_);
}

Status Statement::Run() {
  Result<bool> stepped = Step();
  Reset();
  if (!stepped.ok()) return stepped.error();
  return Ok{};
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::ColumnText(int index) const { return std::string(ColumnView(index)); }

std::string_view Statement::ColumnView(int index) const {
  const void* bytes = sqlite3_column_blob(stmt_, index);  // before sqlite3_column_bytes
  const int size = sqlite3_column_bytes(stmt_, index);
  if (bytes == nullptr || size <= 0) return {};
  return {static_cast<const char*>(bytes), static_cast<size_t>(size)};
}

}  // namespace presenced
