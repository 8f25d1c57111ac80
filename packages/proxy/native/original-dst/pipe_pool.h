/* pipe_pool: idle pipes shared by the splice relays of one Node environment (splice_relay.c). */
#ifndef WEFT_PIPE_POOL_H
#define WEFT_PIPE_POOL_H
#include <stdbool.h>
#include <stddef.h>

#define PIPE_POOL_MAX 64 /* idle pipes kept for reuse */

/** One pipe: read and write ends (-1 when none), and its capacity in bytes. */
typedef struct {
  int r, w;
  size_t cap;
} pool_pipe_t;

typedef struct {
  int n;
  pool_pipe_t idle[PIPE_POOL_MAX];
} pipe_pool_t;

/* An empty pipe from the pool, or a new one asking for `size` bytes (0: the kernel's default);
 * false with errno when none can be created. */
bool pipe_pool_get(pipe_pool_t *pool, size_t size, pool_pipe_t *out);
/* Takes back an empty pipe (closes it when the pool is full); `p` is reset to no pipe. */
void pipe_pool_put(pipe_pool_t *pool, pool_pipe_t *p);
/* Closes a pipe that may still hold bytes; `p` is reset to no pipe. */
void pipe_close(pool_pipe_t *p);
/* Closes every idle pipe; returns how many. */
int pipe_pool_trim(pipe_pool_t *pool);
#endif
