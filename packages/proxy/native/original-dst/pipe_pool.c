/* pipe_pool: idle pipes shared by the splice relays of one Node environment. A relay direction
 * holds a pipe only while bytes are in it, so idle connections hold none (as HAProxy does). */
#define _GNU_SOURCE
#include "pipe_pool.h"
#include <fcntl.h>
#include <unistd.h>

bool pipe_pool_get(pipe_pool_t *pool, size_t size, pool_pipe_t *out) {
  if (pool->n > 0) {
    *out = pool->idle[--pool->n];
    return true;
  }
  int p[2];
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) return false;
  if (size > 0) (void)fcntl(p[1], F_SETPIPE_SZ, (int)size); /* best effort: pipe-max-size caps it */
  int cap = fcntl(p[1], F_GETPIPE_SZ);
  out->r = p[0];
  out->w = p[1];
  out->cap = cap > 0 ? (size_t)cap : 4096;
  return true;
}

void pipe_close(pool_pipe_t *p) {
  if (p->r >= 0) close(p->r);
  if (p->w >= 0) close(p->w);
  p->r = p->w = -1;
}

void pipe_pool_put(pipe_pool_t *pool, pool_pipe_t *p) {
  if (pool->n < PIPE_POOL_MAX) {
    pool->idle[pool->n++] = *p;
    p->r = p->w = -1;
  } else {
    pipe_close(p);
  }
}

int pipe_pool_trim(pipe_pool_t *pool) {
  int n = pool->n;
  while (pool->n > 0) pipe_close(&pool->idle[--pool->n]);
  return n;
}
