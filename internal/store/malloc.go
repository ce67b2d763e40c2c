package store

/*
#include <malloc.h>

// assokit_one_malloc_arena makes the C allocator (SQLite's) use one arena.
// By default glibc gives each thread that allocates its own arena, and each
// costs about 200 KB of memory: the Go runtime runs SQLite on whichever
// thread is free, so an idle AssoKit held several for a few queries.
static void assokit_one_malloc_arena(void) {
#ifdef M_ARENA_MAX
	mallopt(M_ARENA_MAX, 1);
#endif
}
*/
import "C"

func init() { C.assokit_one_malloc_arena() }
