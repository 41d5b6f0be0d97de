#pragma once

// SqliteDb and Statement: a thin RAII layer over the sqlite3 C API for the state store. Every
// failure is returned as an Error carrying sqlite's message (which never contains bound values,
// so no event data or secret reaches a log through it).
//
// Thread-safety: none. StateStore serialises all use behind its own mutex.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace presenced {

class Statement;

class SqliteDb {
 public:
  // Opens (creating if missing) the database file at `path`.
  static Result<SqliteDb> Open(const std::string& path);
  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb();

  // Runs one or more statements that take no parameters and return no rows.
  Status Exec(const std::string& sql);
  // Compiles one statement.
  Result<Statement> Prepare(std::string_view sql);
  // Returns the number of rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;

  sqlite3* handle() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// Statement is one compiled statement. Bind indexes are 1-based, column indexes 0-based.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view value);  // bound as TEXT, copied
  Statement& BindBlob(int index, std::string_view value);

  // Advances: true when a row is available, false when done; an Error on failure.
  Result<bool> Step();
  // Runs a statement that returns no rows, then resets it for reuse.
  Status Run();
  // Resets the statement and clears its bindings for reuse.
  void Reset();

  int64_t ColumnInt(int index) const;
  std::string ColumnText(int index) const;  // TEXT or BLOB bytes; "" for NULL
  // The same bytes without a copy: valid until the next Step, Reset or the statement's end.
  std::string_view ColumnView(int index) const;

 private:
  friend class SqliteDb;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace presenced
