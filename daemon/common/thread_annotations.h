#pragma once

// Clang's thread-safety attributes (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html) under
// short names, as Abseil and Envoy use them. Under clang with -Wthread-safety (every clang build
// of presenced, see the top CMakeLists.txt) the compiler checks that a GUARDED_BY member is only
// touched with its mutex held and that a REQUIRES function is only called so; under gcc they
// expand to nothing. Use them with common/mutex.h: std::mutex is not annotated in libstdc++.

#if defined(__clang__)
#define PRESENCED_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define PRESENCED_THREAD_ANNOTATION(x)
#endif

// On a class: instances are a lock (Mutex).
#define CAPABILITY(x) PRESENCED_THREAD_ANNOTATION(capability(x))
// On a class: an RAII holder of a lock (MutexLock).
#define SCOPED_CAPABILITY PRESENCED_THREAD_ANNOTATION(scoped_lockable)
// On a member: read or written only with the named mutex held.
#define GUARDED_BY(x) PRESENCED_THREAD_ANNOTATION(guarded_by(x))
// On a pointer member: what it points to is guarded by the named mutex.
#define PT_GUARDED_BY(x) PRESENCED_THREAD_ANNOTATION(pt_guarded_by(x))
// On a function: callers must hold the mutexes.
#define REQUIRES(...) PRESENCED_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
// On a function: callers must not hold the mutexes (it takes them).
#define EXCLUDES(...) PRESENCED_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// On a function: it takes / releases the mutexes (or, without arguments, `this`).
#define ACQUIRE(...) PRESENCED_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) PRESENCED_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) PRESENCED_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// On a function: the analysis is off inside it. Say why next to every use.
#define NO_THREAD_SAFETY_ANALYSIS PRESENCED_THREAD_ANNOTATION(no_thread_safety_analysis)
